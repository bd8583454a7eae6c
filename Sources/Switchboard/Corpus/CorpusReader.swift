import Foundation

/// The formats of labelled corpora.
public enum CorpusFormat: String, Sendable, CaseIterable {
    /// Chosen by extension, then by content.
    case auto
    /// `label<TAB>text`, one example a line.
    case tsv
    /// One JSON object a line with text and label fields.
    case jsonl
    /// RFC 4180 CSV with a header naming text and label columns.
    case csv
    /// fastText's `__label__X text` lines.
    case fasttext
    /// A directory with one subdirectory per label, one message per file.
    case directory
}

/// How to read a corpus.
public struct CorpusOptions: Sendable {
    /// The format, or `.auto`.
    public var format: CorpusFormat = .auto
    /// The text field (JSONL) or column (CSV).
    public var textField = "text"
    /// The label field (JSONL) or column (CSV).
    public var labelField = "label"
    /// The language field (JSONL) or column (CSV), read when present.
    public var languageField = "lang"
    /// The identifier field (JSONL) or column (CSV), read when present.
    public var idField = "id"
    /// Skip malformed records (counting them) instead of stopping at the first.
    public var skipInvalid = false

    /// Default options.
    public init() {}
}

/// What reading a corpus gave: the examples, and the records skipped with why.
public struct CorpusReadResult: Sendable {
    /// The examples, in input order.
    public var examples: [LabeledExample]
    /// The malformed records skipped (only with ``CorpusOptions/skipInvalid``).
    public var skipped: [SwitchboardError]
}

/// Reads labelled corpora for training and evaluation.
public enum CorpusReader {
    /// Reads every input in order.
    public static func read(_ paths: [String], options: CorpusOptions = CorpusOptions()) throws -> CorpusReadResult {
        var result = CorpusReadResult(examples: [], skipped: [])
        try forEach(paths, options: options, skipped: { result.skipped.append($0) }) { result.examples.append($0) }
        return result
    }

    /// Streams every input in order, one example at a time, without holding the corpus in memory.
    ///
    /// Malformed records go to `skipped` under ``CorpusOptions/skipInvalid``, and stop the reading
    /// (thrown) otherwise.
    public static func forEach(_ paths: [String], options: CorpusOptions = CorpusOptions(),
                               skipped: (SwitchboardError) -> Void, _ body: (LabeledExample) throws -> Void) throws {
        for path in paths {
            try read(path, options: options, skipped: skipped, body)
        }
    }

    /// The format of `path` under `.auto`: directory, extension, then the first line.
    public static func detectFormat(_ path: String) throws -> CorpusFormat {
        // Standard input first: the file check below would call "-" a missing file.
        if path == "-" { throw pipeNeedsFormat(path) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw SwitchboardError(.io, "no such file or directory", location: SourceLocation(file: path))
        }
        if isDirectory.boolValue { return .directory }
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "tsv", "tab": return .tsv
        case "jsonl", "ndjson", "json": return .jsonl
        case "csv": return .csv
        case "ft", "fasttext": return .fasttext
        default: break
        }
        // Looking at the first line reads it, and a pipe (`<(cat corpus)`, standard input) cannot be read
        // twice: the corpus would start wherever the look stopped, and the records before were lost.
        var info = stat()
        if stat(path, &info) == 0 && info.st_mode & S_IFMT != S_IFREG { throw pipeNeedsFormat(path) }
        var firstLine = ""
        if let reader = try? LineReader(path: path) {
            while let line = try? reader.next() {
                firstLine = line.string
                if !firstLine.allSatisfy(\.isWhitespace) { break }
            }
        }
        if firstLine.hasPrefix("{") { return .jsonl }
        if firstLine.hasPrefix("__label__") { return .fasttext }
        if firstLine.contains("\t") { return .tsv }
        throw SwitchboardError(.invalidArgument, "cannot tell the corpus format from the name or the first line: give --format (tsv, jsonl, csv, fasttext, directory)", location: SourceLocation(file: path))
    }

    private static func pipeNeedsFormat(_ path: String) -> SwitchboardError {
        SwitchboardError(.invalidArgument, "this input is a pipe or a device, whose format cannot be told from its first line without losing it: give --format (tsv, jsonl, csv, fasttext)", location: SourceLocation(file: path))
    }

    static func read(_ path: String, options: CorpusOptions, skipped: (SwitchboardError) -> Void, _ body: (LabeledExample) throws -> Void) throws {
        let format = options.format == .auto ? try detectFormat(path) : options.format
        func record(_ outcome: Result<LabeledExample, SwitchboardError>?) throws {
            switch outcome {
            case .success(let example): try body(example)
            case .failure(let error):
                if options.skipInvalid { skipped(error) } else { throw error }
            case nil: break
            }
        }
        switch format {
        case .directory:
            try readDirectory(path, skipped: skipped, body)
        case .tsv, .jsonl, .fasttext:
            let reader: LineReader
            do {
                reader = try LineReader(path: path)
            } catch let error as SwitchboardError {
                throw error
            } catch {
                throw SwitchboardError(.io, "cannot read the file", location: SourceLocation(file: path), cause: error as NSError)
            }
            // Streamed a line at a time (a corpus may be larger than memory); invalid UTF-8 is repaired.
            while let raw = try reader.next() {
                let location = SourceLocation(file: path, line: raw.number)
                if raw.isTruncated {
                    try record(.failure(SwitchboardError(.malformedRecord, "the line is longer than \(reader.maxLineLength) bytes", location: location)))
                    continue
                }
                let text = raw.string
                let line = Substring(text)
                if line.allSatisfy(\.isWhitespace) { continue }
                switch format {
                case .tsv: try record(parseTSV(line, location: location))
                case .jsonl: try record(parseJSON(line, options: options, location: location))
                default: try record(parseFastText(line, location: location))
                }
            }
        case .csv:
            let reader: CSVReader
            do {
                // The delimiter as batch finds it, from the header: `;` is what French Excel writes.
                reader = try CSVReader(path: path)
            } catch let error as SwitchboardError {
                throw error
            } catch {
                throw SwitchboardError(.io, "cannot read the file", location: SourceLocation(file: path), cause: error as NSError)
            }
            guard let header = reader.header else {
                throw SwitchboardError(.malformedRecord, "the CSV file is empty: it needs a header with '\(options.textField)' and '\(options.labelField)' columns", location: SourceLocation(file: path, line: 1))
            }
            let columns = header.map { $0.trimmingCharacters(in: .whitespaces) }
            guard let textColumn = columns.firstIndex(of: options.textField), let labelColumn = columns.firstIndex(of: options.labelField) else {
                // The names are not quoted: in a file without a header the first line is a message, and errors
                // never show message text.
                throw SwitchboardError(.malformedRecord, "the CSV header has no '\(options.textField)' or '\(options.labelField)' column (\(columns.count) column(s)); the first line must name the columns, or name them with --text-field and --label-field", location: SourceLocation(file: path, line: 1))
            }
            // A column named twice: which one holds the text or the label would be a guess, and a wrong guess
            // trains every example on the wrong field.
            for (name, index) in [(options.textField, textColumn), (options.labelField, labelColumn)] where columns.lastIndex(of: name) != index {
                throw SwitchboardError(.malformedRecord, "the CSV header names the column '\(name)' twice; rename one, or choose the column with --text-field or --label-field", location: SourceLocation(file: path, line: 1))
            }
            let languageColumn = columns.firstIndex(of: options.languageField)
            let idColumn = columns.firstIndex(of: options.idField)
            while let row = try reader.next() {
                let location = SourceLocation(file: path, line: row.line)
                if row.fields.count == 1 && row.fields[0].isEmpty && row.problem == nil { continue }
                if let problem = row.problem {
                    try record(.failure(SwitchboardError(.malformedRecord, reader.message(for: problem, of: row, lost: "examples"), location: location)))
                    continue
                }
                guard row.fields.count == columns.count else {
                    try record(.failure(SwitchboardError(.malformedRecord, "expected \(columns.count) fields, found \(row.fields.count)", location: location)))
                    continue
                }
                try record(example(text: row.fields[textColumn], label: row.fields[labelColumn],
                                   language: languageColumn.map { row.fields[$0] }, location: location,
                                   id: idColumn.map { row.fields[$0] }))
            }
        case .auto:
            break
        }
    }

    static func example(text: String, label: String, language: String?, location: SourceLocation, id: String? = nil) -> Result<LabeledExample, SwitchboardError> {
        let label = LabeledExample.trimmedLabel(label)
        if let problem = LabeledExample.labelProblem(label) { return .failure(SwitchboardError(.malformedRecord, problem, location: location)) }
        guard !text.allSatisfy(\.isWhitespace) else { return .failure(SwitchboardError(.malformedRecord, "the text is empty", location: location)) }
        // The model file stores the corpus's languages and `inspect` prints them: anything but a language code
        // (a message's text in the wrong field) is refused, unquoted.
        let language = language?.trimmingCharacters(in: .whitespaces)
        if let language, !language.isEmpty, !isLanguageCode(language) {
            return .failure(SwitchboardError(.malformedRecord, "the language field is not a language code or name such as 'fr', 'en-GB' or 'French'", location: location))
        }
        return .success(LabeledExample(text: text, label: label, language: language.flatMap { $0.isEmpty ? nil : $0 }, location: location,
                                       id: id.flatMap { $0.isEmpty ? nil : $0 }))
    }

    /// Whether `text` (trimmed) has the shape of a language tag or name: two to twenty letters, then ASCII subtags
    /// of one to eight letters or digits after `-` or `_` ("fr", "en-GB", "pt_BR", "zh-Hant-TW", "French",
    /// "unknown"), 35 characters at most. Not an address, a number or a sentence.
    static func isLanguageCode(_ text: String) -> Bool {
        let text = text.trimmingCharacters(in: .whitespaces)
        guard text.utf8.count <= 35 else { return false }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).flatMap { $0.split(separator: "_", omittingEmptySubsequences: false) }
        // Letters of any script ("Français", "Español"), but no digit, dot, at sign or space.
        guard let first = parts.first, (2...20).contains(first.count), first.allSatisfy(\.isLetter) else { return false }
        return parts.dropFirst().allSatisfy { part in
            (1...8).contains(part.utf8.count) && part.utf8.allSatisfy { $0 < 0x80 && (Character(UnicodeScalar($0)).isLetter || Character(UnicodeScalar($0)).isNumber) }
        }
    }

    static func parseTSV(_ line: Substring, location: SourceLocation) -> Result<LabeledExample, SwitchboardError> {
        guard let tab = line.firstIndex(of: "\t") else {
            return .failure(SwitchboardError(.malformedRecord, "no tab: expected 'label<TAB>text'", location: location))
        }
        return example(text: String(line[line.index(after: tab)...]), label: String(line[..<tab]), language: nil, location: location)
    }

    static func parseFastText(_ line: Substring, location: SourceLocation) -> Result<LabeledExample, SwitchboardError> {
        var labels: [Substring] = []
        var rest = line
        while rest.hasPrefix("__label__") {
            let word = rest.prefix { !$0.isWhitespace }
            labels.append(word.dropFirst("__label__".count))
            rest = rest.dropFirst(word.count).drop { $0.isWhitespace }
        }
        guard let label = labels.first else {
            return .failure(SwitchboardError(.malformedRecord, "no __label__ prefix: expected '__label__X text'", location: location))
        }
        // fastText lines may carry several labels; a naive-Bayes classifier here learns one per message, and
        // keeping the first in silence would teach the model whatever order the export happened to use.
        // The labels are not quoted: one of them may be a message's text (an address, a phone number).
        if labels.contains(where: { $0 != label }) {
            return .failure(SwitchboardError(.malformedRecord, "\(Set(labels).count) different labels: Switchboard learns one label per message; keep one __label__ per line", location: location))
        }
        return example(text: String(rest), label: String(label), language: nil, location: location)
    }

    static func parseJSON(_ line: Substring, options: CorpusOptions, location: SourceLocation) -> Result<LabeledExample, SwitchboardError> {
        let object: Any
        do {
            // Fragments allowed, so that a line holding a number or a string is "not an object", not "invalid JSON".
            object = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
        } catch {
            return .failure(SwitchboardError(.malformedRecord, "invalid JSON", location: location, cause: error as NSError))
        }
        guard let dictionary = object as? [String: Any] else {
            return .failure(SwitchboardError(.malformedRecord, "expected a JSON object", location: location))
        }
        // JSON leaves a repeated name's meaning open, and Foundation keeps one of the values in silence: a record
        // giving its text or label twice would teach whichever it kept. The field's name only, never its value.
        let read = [options.textField, options.labelField, options.idField, options.languageField]
        if let repeated = repeatedTopLevelKey(in: line, among: read) {
            return .failure(SwitchboardError(.malformedRecord, "the field '\(repeated)' appears more than once in the record", location: location))
        }
        guard let text = dictionary[options.textField] as? String else {
            return .failure(SwitchboardError(.malformedRecord, "no string field '\(options.textField)'", location: location))
        }
        let label: String
        if let string = dictionary[options.labelField] as? String {
            label = string
        } else if let number = dictionary[options.labelField] as? NSNumber {
            // Whole numbers are labels ("5"); true and false would have become "1" and "0", the same labels as
            // the numbers 1 and 0, and 3.0 a label "3.0" apart from 3.
            let type = String(cString: number.objCType)
            guard type != "c", type != "d", type != "f" else {
                return .failure(SwitchboardError(.malformedRecord, "the field '\(options.labelField)' is \(type == "c" ? "true or false" : "a fractional number"), not a label: give a string or a whole number", location: location))
            }
            label = number.stringValue
        } else {
            return .failure(SwitchboardError(.malformedRecord, "no string field '\(options.labelField)'", location: location))
        }
        var id = dictionary[options.idField] as? String
        if id == nil, let number = dictionary[options.idField] as? NSNumber { id = number.stringValue }
        return example(text: text, label: label, language: dictionary[options.languageField] as? String, location: location, id: id)
    }

    /// The first of `names` that is a key of the top-level object of `line` more than once, or nil. `line` must
    /// be valid JSON (checked before): only strings and brackets are followed, and keys of nested objects are
    /// left alone.
    static func repeatedTopLevelKey(in line: Substring, among names: [String]) -> String? {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), colon = UInt8(ascii: ":")
        let bytes = Array(line.utf8)
        var seen: Set<String> = []
        var depth = 0, k = 0
        while k < bytes.count {
            let byte = bytes[k]
            switch byte {
            case quote:
                var end = k + 1, escaped = false
                while end < bytes.count, bytes[end] != quote {
                    if bytes[end] == backslash { escaped = true; end += 1 }
                    end += 1
                }
                if depth == 1 {
                    var next = end + 1
                    while next < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[next]) { next += 1 }
                    if next < bytes.count, bytes[next] == colon {
                        let raw = bytes[min(k + 1, bytes.count)..<min(end, bytes.count)]
                        // An escaped key ("te\u0078t") is the name Foundation reads, so it is decoded the same way.
                        let key = escaped
                            ? (try? JSONSerialization.jsonObject(with: Data([quote] + raw + [quote]), options: [.fragmentsAllowed])) as? String
                            : String(decoding: raw, as: UTF8.self)
                        if let key, names.contains(key), !seen.insert(key).inserted { return key }
                    }
                }
                k = end + 1
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
            k += 1
        }
        return nil
    }

    static func readDirectory(_ path: String, skipped: (SwitchboardError) -> Void, _ body: (LabeledExample) throws -> Void) throws {
        var labelDirectories = 0, looseFiles: [String] = []
        for (directory, isDirectory) in try visibleEntries(of: path, cannotList: "cannot list the directory") {
            guard isDirectory else { looseFiles.append(directory); continue }
            let label = (directory as NSString).lastPathComponent
            labelDirectories += 1
            for filePath in try messageFiles(under: directory, label: label) {
                let text = try readText(filePath)
                // A NUL is never in a message: the file is binary (an attachment, an image) and was trained on.
                if text.utf8.contains(0) {
                    skipped(SwitchboardError(.malformedRecord, "a binary file (it holds NUL bytes), not a message", location: SourceLocation(file: filePath)))
                    continue
                }
                switch example(text: text, label: label, language: nil, location: SourceLocation(file: filePath)) {
                case .success(let example): try body(example)
                case .failure(let error): skipped(error)  // an empty file is not worth stopping for
                }
            }
        }
        if labelDirectories == 0 {
            throw SwitchboardError(.invalidArgument, "a corpus directory holds one subdirectory per label, and this one has none; to read the files in it, give them as inputs (for example \((path as NSString).appendingPathComponent("*.jsonl")))", location: SourceLocation(file: path))
        }
        // Files beside the label directories belong to no label: they were left out in silence.
        for file in looseFiles {
            skipped(SwitchboardError(.malformedRecord, "a file beside the label directories belongs to no label: move it into one, or give it as an input of its own", location: SourceLocation(file: file)))
        }
    }

    /// The files under a label's directory, in its subdirectories too (`ham/2023/...` is ham), sorted, hidden
    /// ones left out; subdirectories were skipped in silence, and their messages lost.
    ///
    /// A directory that cannot be listed is an error: it used to vanish from the model, counts and all. At most
    /// 16 levels deep, so that a link to a parent directory cannot loop.
    static func messageFiles(under directory: String, label: String, depth: Int = 0) throws -> [String] {
        var files: [String] = []
        for (path, isDirectory) in try visibleEntries(of: directory, cannotList: "cannot list the directory of label '\(label)'") {
            if !isDirectory {
                files.append(path)
            } else if depth < 16 {
                files += try messageFiles(under: path, label: label, depth: depth + 1)
            } else {
                throw SwitchboardError(.invalidArgument, "the directories of label '\(label)' are nested more than 16 deep (a link to a parent directory?)", location: SourceLocation(file: path))
            }
        }
        return files
    }

    /// The paths of a directory's entries, sorted, hidden ones left out, each with whether it is a directory (links
    /// followed); one that cannot be listed is an error saying `cannotList`.
    private static func visibleEntries(of directory: String, cannotList: String) throws -> [(path: String, isDirectory: Bool)] {
        let manager = FileManager.default
        let names: [String]
        do {
            names = try manager.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            throw SwitchboardError(.io, cannotList, location: SourceLocation(file: directory), cause: error as NSError)
        }
        return names.compactMap { name in
            let path = (directory as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            return manager.fileExists(atPath: path, isDirectory: &isDirectory) ? (path, isDirectory.boolValue) : nil
        }
    }

    /// Reads a file as UTF-8, repairing invalid sequences (U+FFFD) and dropping a byte-order mark.
    static func readText(_ path: String) throws -> String {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SwitchboardError(.io, "cannot read the file", location: SourceLocation(file: path), cause: error as NSError)
        }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return text
    }
}
