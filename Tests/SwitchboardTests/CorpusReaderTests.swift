import Foundation
import Testing
@testable import Switchboard

private func readError(_ paths: [String], options: CorpusOptions = CorpusOptions()) -> SwitchboardError? {
    do {
        _ = try CorpusReader.read(paths, options: options)
        return nil
    } catch let error as SwitchboardError {
        return error
    } catch {
        return nil
    }
}

@Test func readsTSV() throws {
    let dir = try temporaryDirectory()
    let path = try write("claim\tj'ai eu un accident\nbilling\tprélèvement rejeté\r\n\nother\tmerci\n", to: "a.tsv", in: dir)
    let examples = try CorpusReader.read([path]).examples
    #expect(examples.map(\.label) == ["claim", "billing", "other"])
    #expect(examples[1].text == "prélèvement rejeté")
    #expect(examples[2].location == SourceLocation(file: path, line: 4))
}

@Test func malformedTSVLineNamesFileAndLine() throws {
    let dir = try temporaryDirectory()
    let path = try write("claim\taccident\nno tab on this line\nbilling\tfacture\n\tno label\n", to: "bad.tsv", in: dir)
    let error = readError([path])
    #expect(error?.code == .malformedRecord)
    #expect(error?.location == SourceLocation(file: path, line: 2))
    var options = CorpusOptions()
    options.skipInvalid = true
    let result = try CorpusReader.read([path], options: options)
    #expect(result.examples.count == 2)
    #expect(result.skipped.map { $0.location?.line } == [2, 4])
}

@Test func readsJSONLWithOverriddenFields() throws {
    let dir = try temporaryDirectory()
    let path = try write("""
    {"body": "fuite d'eau", "intent": "claim", "lang": "fr"}
    {"body": "refund please", "intent": "billing", "lang": "en"}
    {"body": "oops", "intent": 3}
    not json at all
    {"intent": "claim"}
    ["an", "array"]

    """, to: "a.jsonl", in: dir)
    var options = CorpusOptions()
    options.textField = "body"
    options.labelField = "intent"
    options.skipInvalid = true
    let result = try CorpusReader.read([path], options: options)
    #expect(result.examples.map(\.label) == ["claim", "billing", "3"])
    #expect(result.examples[0].language == "fr")
    #expect(result.skipped.map { $0.location?.line } == [4, 5, 6])
    options.skipInvalid = false
    let error = readError([path], options: options)
    #expect(error?.location?.line == 4)
    #expect(error?.message == "invalid JSON")
    // The cause says what is wrong and where, not "The data is not in the correct format.", and never quotes.
    #expect(error.map { "\($0)".contains("character") } == true)
    let number = try write(#"{"text": "a", "label": "b", "n": 12345678901234567890123456789e999}"# + "\n", to: "n.jsonl", in: dir)
    let numberError = readError([number])
    #expect(numberError.map { "\($0)".contains("out of range") && !"\($0)".contains("123456") } == true)
}

@Test func readsCSVWithQuotedMultilineFields() throws {
    let dir = try temporaryDirectory()
    let path = try write("""
    id,text,label\r
    1,"Bonjour,\r
    j'ai un ""petit"" souci",claim\r
    2,simple,billing\r
    3,too,many,fields\r
    4,"le dernier",other\r

    """, to: "a.csv", in: dir)
    var options = CorpusOptions()
    options.skipInvalid = true
    let result = try CorpusReader.read([path], options: options)
    #expect(result.examples.map(\.label) == ["claim", "billing", "other"])
    #expect(result.examples[0].text == "Bonjour,\r\nj'ai un \"petit\" souci")
    #expect(result.examples[2].location?.line == 6)
    #expect(result.skipped.first?.location?.line == 5)
    #expect(result.skipped.first?.message.contains("expected 3 fields") == true)
}

@Test func csvWithoutTheColumnsIsAClearError() throws {
    let dir = try temporaryDirectory()
    let path = try write("message,category\nhello,other\n", to: "b.csv", in: dir)
    let error = readError([path])
    #expect(error?.message.contains("no 'text' or 'label' column") == true)
    #expect(error?.location?.line == 1)
}

/// A CSV without a header has a message for its first line: the error gives the number of columns, never
/// their contents (it used to list them, personal data and all).
@Test func csvHeaderErrorsNeverShowTheFirstLine() throws {
    let dir = try temporaryDirectory()
    let path = try write("claim,my car was hit by Jean Dupont 06 12 34 56 78\n", to: "nohdr.csv", in: dir)
    let error = try #require(readError([path]))
    #expect(error.message.contains("2 column(s)"))
    #expect(!error.description.contains("Dupont"))
    let twice = try write("label,text,text\nclaim,a,b\n", to: "twice.csv", in: dir)
    #expect(readError([twice])?.message.contains("names the column 'text' twice") == true)
}

/// A pipe's first line cannot be looked at without losing it: `eval -m M <(cat test.tsv)` used to read 2,210
/// of banking77's 3,080 test lines and report accuracy on them. Without --format it is refused.
@Test func pipesNeedAFormat() throws {
    let dir = try temporaryDirectory()
    let fifo = dir + "/corpus"
    #expect(mkfifo(fifo, 0o600) == 0)
    let error = try #require(throws: SwitchboardError.self) { try CorpusReader.detectFormat(fifo) }
    #expect(error.message.contains("give --format"))
    // Standard input too (it was called a missing file, "no such file or directory").
    let stdin = try #require(throws: SwitchboardError.self) { try CorpusReader.detectFormat("-") }
    #expect(stdin.message.contains("give --format"))
}

@Test func aDirectoryWithoutLabelSubdirectoriesSaysHowToReadItsFiles() throws {
    let dir = try temporaryDirectory()
    try write("{\"text\": \"accident\", \"label\": \"claim\"}\n", to: "claims.jsonl", in: dir)
    let error = try #require(readError([dir]))
    #expect(error.message.contains("one subdirectory per label"))
}

@Test func readsFastTextLines() throws {
    let dir = try temporaryDirectory()
    let path = try write("__label__claim accident de voiture\n__label__billing __label__other double label\nno label here\n", to: "a.ft", in: dir)
    var options = CorpusOptions()
    options.skipInvalid = true
    let result = try CorpusReader.read([path], options: options)
    // Two labels on a line are one too many (see fastTextLinesWithSeveralLabelsAreRefused).
    #expect(result.examples.map(\.label) == ["claim"])
    #expect(result.skipped.map { $0.location?.line } == [2, 3])
}

@Test func readsADirectoryPerLabel() throws {
    let dir = try temporaryDirectory()
    for (label, texts) in [("claim", ["accident", "vol"]), ("billing", ["facture"])] {
        try FileManager.default.createDirectory(atPath: dir + "/" + label, withIntermediateDirectories: true)
        for (i, text) in texts.enumerated() { try write(text, to: "\(label)/\(i).txt", in: dir) }
    }
    try write("", to: "claim/empty.txt", in: dir)
    let result = try CorpusReader.read([dir])
    #expect(result.examples.map(\.label) == ["billing", "claim", "claim"])
    #expect(result.skipped.count == 1)
}

@Test func detectsFormatsAndRejectsMissingFiles() throws {
    let dir = try temporaryDirectory()
    #expect(try CorpusReader.detectFormat(write("x\ty", to: "a.txt", in: dir)) == .tsv)
    #expect(try CorpusReader.detectFormat(write("{\"text\":\"a\"}", to: "b.data", in: dir)) == .jsonl)
    #expect(try CorpusReader.detectFormat(write("__label__a b", to: "c.txt", in: dir)) == .fasttext)
    #expect(try CorpusReader.detectFormat(dir) == .directory)
    let missing = readError([dir + "/missing.tsv"])
    #expect(missing?.code == .io)
}

@Test func invalidUTF8InACorpusIsRepaired() throws {
    let dir = try temporaryDirectory()
    let path = dir + "/bad.tsv"
    try Data(Array("claim\tsinistre ".utf8) + [0xFF, 0xFE] + Array(" voiture\n".utf8)).write(to: URL(fileURLWithPath: path))
    let examples = try CorpusReader.read([path]).examples
    #expect(examples.count == 1)
    #expect(examples[0].text.contains("\u{FFFD}"))
}

/// Excel's "Unicode text" is UTF-16: read as UTF-8 it gave errors that pointed elsewhere ("the label contains
/// a control character", "invalid JSON"). Both byte orders are refused on line 1 with what to do.
@Test func utf16FilesAreRefusedWithWhatToDo() throws {
    for mark in [[UInt8(0xFF), 0xFE], [0xFE, 0xFF]] {
        let utf16 = mark + Array("c\u{0}l\u{0}a\u{0}i\u{0}m\u{0}".utf8)
        do {
            _ = try LineReader(bytes: utf16, name: "excel.tsv").next()
            Issue.record("UTF-16 lines were read")
        } catch let error as SwitchboardError {
            #expect(error.location?.line == 1)
            #expect(error.message.contains("UTF-16"))
        }
        #expect(throws: SwitchboardError.self) { _ = try CSVReader(input: ByteInput(bytes: utf16, name: "excel.csv"), hasHeader: true) }
    }
    // A UTF-8 byte-order mark is still skipped.
    #expect(try LineReader(bytes: [0xEF, 0xBB, 0xBF] + Array("claim\tok".utf8)).next()?.string == "claim\tok")
}

/// true and false used to become the labels "1" and "0" (those of the numbers 1 and 0), 3.0 a label "3.0";
/// a line holding a number was "invalid JSON". Whole numbers are still labels.
@Test func jsonLabelsAreStringsOrWholeNumbers() throws {
    let dir = try temporaryDirectory()
    let path = try write("{\"text\":\"a\",\"label\":true}\n{\"text\":\"b\",\"label\":3.5}\n42\n{\"text\":\"c\",\"label\":5}\n", to: "j.jsonl", in: dir)
    var options = CorpusOptions()
    options.skipInvalid = true
    let result = try CorpusReader.read([path], options: options)
    #expect(result.examples.map(\.label) == ["5"])
    #expect(result.skipped.map(\.message) == [
        "the field 'label' is true or false, not a label: give a string or a whole number",
        "the field 'label' is a fractional number, not a label: give a string or a whole number",
        "expected a JSON object",
    ])
}

/// A record giving its text or label twice taught whichever value Foundation kept. It is now a malformed record
/// naming the field (never its value); a field not read may repeat, and keys of nested objects are their own.
@Test func aFieldGivenTwiceInAJSONLRecordIsMalformed() throws {
    let dir = try temporaryDirectory()
    let lines = [
        #"{"text": "résilier mon contrat", "label": "cancellation", "text": "merci pour tout"}"#,
        #"{"text": "ok", "label": "other", "label": "billing"}"#,
        #"{"text": "ok", "te\u0078t": "escaped", "label": "other"}"#,
        #"{"text": "bonjour", "label": "other", "tag": 1, "tag": 2}"#,
        #"{"text": "vol", "label": "claim", "meta": {"text": "x", "label": "y"}, "list": [{"text": 1}, {"text": 2}]}"#,
        #"{"text": "a \"text\": b", "label": "quote"}"#,
    ]
    let path = try write(lines.joined(separator: "\n") + "\n", to: "twice.jsonl", in: dir)
    #expect(throws: SwitchboardError.self) { try CorpusReader.read([path]) }
    var options = CorpusOptions()
    options.skipInvalid = true
    let result = try CorpusReader.read([path], options: options)
    #expect(result.examples.map(\.label) == ["other", "claim", "quote"])
    #expect(result.skipped.map(\.message) == [
        "the field 'text' appears more than once in the record",
        "the field 'label' appears more than once in the record",
        "the field 'text' appears more than once in the record",
    ])
    #expect(result.skipped.map { $0.location?.line } == [1, 2, 3])
    #expect(!result.skipped.contains { "\($0)".contains("merci") || "\($0)".contains("billing") })
}

/// A binary file in a label's directory (an attachment saved beside the messages) was trained on as text.
@Test func binaryFilesInALabelDirectoryAreSkipped() throws {
    let dir = try temporaryDirectory()
    try FileManager.default.createDirectory(atPath: dir + "/claim", withIntermediateDirectories: true)
    try write("accident de voiture", to: "claim/1.txt", in: dir)
    try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D]).write(to: URL(fileURLWithPath: dir + "/claim/photo.png"))
    let result = try CorpusReader.read([dir])
    #expect(result.examples.map(\.text) == ["accident de voiture"])
    #expect(result.skipped.first?.message.contains("binary file") == true)
}

/// A fastText line with two different labels is a malformed record, not its first label in silence; the same
/// label twice is one label.
@Test func fastTextLinesWithSeveralLabelsAreRefused() throws {
    let dir = try temporaryDirectory()
    let path = try write("__label__claim __label__claim sinistre auto\n__label__claim __label__complaint accident et colère\n__label__billing facture\n", to: "multi.ft", in: dir)
    var options = CorpusOptions()
    options.format = .fasttext
    let error = readError([path], options: options)
    #expect(error?.code == .malformedRecord)
    #expect(error?.location?.line == 2)
    // The labels are counted, not quoted: one of them may be a message's text.
    #expect(error?.message.contains("2 different labels") == true && error?.message.contains("complaint") == false)
    options.skipInvalid = true
    let result = try CorpusReader.read([path], options: options)
    #expect(result.examples.map(\.label) == ["claim", "billing"])
    #expect(result.skipped.count == 1)
}

/// Messages in a label's subdirectories (`ham/2023/...`) were skipped in silence: 182 of 300 were lost.
@Test func filesInALabelsSubdirectoriesBelongToTheLabel() throws {
    let dir = try temporaryDirectory()
    for sub in ["ham/2023/q1", "spam"] { try FileManager.default.createDirectory(atPath: dir + "/" + sub, withIntermediateDirectories: true) }
    try write("see you tonight", to: "ham/1.txt", in: dir)
    try write("lunch tomorrow?", to: "ham/2023/2.txt", in: dir)
    try write("call me back", to: "ham/2023/q1/3.txt", in: dir)
    try write("win a prize now", to: "spam/4.txt", in: dir)
    let result = try CorpusReader.read([dir])
    #expect(result.examples.map(\.label) == ["ham", "ham", "ham", "spam"])
    #expect(result.examples.map(\.text) == ["see you tonight", "lunch tomorrow?", "call me back", "win a prize now"])
    #expect(result.skipped.isEmpty)
    // A file beside the label directories belongs to no label: it is skipped and said so, not left out in silence.
    try write("billing\tmy bill is wrong", to: "extra.tsv", in: dir)
    let withLoose = try CorpusReader.read([dir])
    #expect(withLoose.examples.count == 4)
    #expect(withLoose.skipped.map { $0.location?.file.hasSuffix("extra.tsv") } == [true])
}

/// The language field is stored in the model and printed by `inspect`: only language codes are accepted.
@Test func languageFieldsMustBeLanguageCodes() throws {
    for code in ["fr", "en-GB", "pt_BR", "zh-Hant-TW", "und", "French", "english", "unknown", "mixed", "fr ", "Français", "Español"] { #expect(CorpusReader.isLanguageCode(code), "\(code)") }
    for text in ["jean.dupont@gmail.com 06 12 34 56 78", "FR76 3000 6000", "f", "en--GB", "", "Jean Dupont", "fr.fr"] {
        #expect(!CorpusReader.isLanguageCode(text), "\(text)")
    }
    let dir = try temporaryDirectory()
    let path = try write(#"{"text": "ok", "label": "a", "lang": "fr"}"# + "\n" + #"{"text": "ok", "label": "b", "lang": "FR76 3000 6000 0112 3456 7890 189"}"# + "\n", to: "l.jsonl", in: dir)
    let error = readError([path])
    #expect(error?.location?.line == 2)
    #expect(error.map { !"\($0)".contains("FR76") } == true)
}

/// A CSV corpus with semicolons, as French Excel writes it, is read as `batch` reads such files (it took commas only).
@Test func semicolonCSVCorporaAreRead() throws {
    let dir = try temporaryDirectory()
    let path = try write("id;label;text\n1;claim;\"ma voiture, volée; hier\"\n2;billing;facture trop chère\n", to: "fr.csv", in: dir)
    let result = try CorpusReader.read([path])
    #expect(result.examples.map(\.label) == ["claim", "billing"])
    #expect(result.examples.first?.text == "ma voiture, volée; hier")
}

/// Most of many labels with a single example are messages' texts: the corpus is refused without naming them.
@Test func aCorpusOfSingleExampleLabelsIsRefused() throws {
    var examples = (0..<12).map { LabeledExample(text: "claim", label: "appelez moi vite numero \($0)") }
    examples += [LabeledExample(text: "a", label: "x"), LabeledExample(text: "b", label: "x")]
    #expect {
        _ = try Trainer.train(examples, options: textbookOptions(.multinomial, uniformPriors: false))
    } throws: { error in
        "\(error)".contains("12 of the corpus's 13 labels have a single example") && !"\(error)".contains("appelez")
    }
}

/// A corpus with its columns the wrong way round took messages for labels: their e-mail addresses and IBANs went
/// into the model file verbatim, and their texts into the warnings. Such labels are refused, without quoting them.
@Test func labelsThatLookLikeMessagesAreRefused() throws {
    #expect(LabeledExample.labelProblem("claim_followup") == nil)
    #expect(LabeledExample.labelProblem("comp.sys.ibm.pc.hardware") == nil)
    #expect(LabeledExample.labelProblem("Service client") == nil)
    let address = LabeledExample.labelProblem("write to jean.dupont@gmail.com")
    #expect(address?.contains("e-mail") == true && address?.contains("jean") == false)
    #expect(LabeledExample.labelProblem("call 06 12 34 56 78")?.contains("long number") == true)
    #expect(LabeledExample.labelProblem(String(repeating: "word ", count: 30))?.contains("longer than") == true)
    // Forms a privacy review got through: an at sign without a dot after it, full-width digits.
    #expect(LabeledExample.labelProblem("svp rappelez jean@gmail")?.contains("e-mail") == true)
    #expect(LabeledExample.labelProblem("mon tel ０６ １２ ３４ ５６ ７８")?.contains("long number") == true)
    // And labels that are labels: many words, slashes, an at sign between spaces.
    #expect(LabeledExample.labelProblem("Compte / Connexion / Mot de passe oublié") == nil)
    #expect(LabeledExample.labelProblem("Niveau 2 @ Lyon") == nil)
    #expect(LabeledExample.labelProblem("Niveau 2 @Lyon") == nil)
    #expect(LabeledExample.labelProblem("@billing") == nil)
    for address in ["jean.dupont @gmail.com", "jean.dupont@ gmail.com", "jean_@gmail.com", "jean＠gmail.com"] {
        #expect(LabeledExample.labelProblem(address)?.contains("e-mail") == true, "\(address)")
    }
    // Invisible characters at a label's ends (a byte-order mark of a concatenated file) are not part of it.
    #expect(LabeledExample.trimmedLabel("\u{FEFF}other ") == "other")
    let dir = try temporaryDirectory()
    let path = try write("Please call me on 06 12 34 56 78 or jean.dupont@gmail.com\tbilling\nMy car was stolen\tclaim\n", to: "swapped.tsv", in: dir)
    let error = readError([path])
    #expect(error?.location?.line == 1)
    #expect(error.map { !"\($0)".contains("dupont") } == true)
}
