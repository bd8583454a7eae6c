import CLibXML2
import Foundation

/// Turns HTML into plain text with libxml2's forgiving HTML parser.
///
/// The visible text is kept: `script`, `style`, `noscript`, `template` and the `head` are left out,
/// block elements and `<br>` become line breaks, runs of spaces collapse (except in `<pre>`), and
/// blank lines are collapsed to one.
enum HTMLText {
    /// Parses an HTML document and returns its visible text.
    ///
    /// - Parameter encoding: the document's encoding, already worked out (`UTF-8`, or an ASCII-compatible charset
    ///   libxml2 knows: see ``HTMLDocumentReader/prepared(_:)``); a `<meta charset>` in the document does not change it.
    ///   - skipping: further elements to leave out (`blockquote` for quoted e-mail history).
    ///
    /// - Throws: ``Truncated`` when libxml2 stopped before the end of the document (see ``withDocument(_:encoding:_:)``):
    ///   the text would be a part of the page's, given as the whole.
    static func text(fromHTML bytes: [UInt8], encoding: String = "UTF-8", skipping: Set<String> = []) throws -> String {
        guard !bytes.isEmpty else { return "" }
        return try LibXML2.withLock {
            try withDocument(bytes, encoding: encoding) { document, stopped in
                if let stopped { throw Truncated(description: stopped) }
                guard let document, let root = xmlDocGetRootElement(document) else { return "" }
                return TextCleaning.replacingC1Controls(text(of: root, skipping: skipping))
            }
        }
    }

    /// libxml2 stopped before the end of an HTML document; `description` says where and why.
    struct Truncated: Error, Sendable, CustomStringConvertible {
        var description: String
    }

    /// Parses HTML into a document, calls `body` with it and frees it. Call holding the libxml2 lock.
    ///
    /// `body` also gets why libxml2 stopped before the end of the document, when it did: the forgiving parser
    /// recovers from broken markup, but halts at elements nested more than 256 deep (and on exhausted
    /// memory) and returns the tree read so far, which looked like the whole document. The messages after that
    /// point were lost without a word, and a page's text was cut short; callers now report it.
    static func withDocument<T>(_ bytes: [UInt8], encoding: String, _ body: (htmlDocPtr?, _ stopped: String?) throws -> T) rethrows -> T {
        guard let context = htmlNewParserCtxt() else { return try body(nil, "libxml2 could not allocate a parser") }
        defer { htmlFreeParserCtxt(context) }
        LibXML2.encodingConversionFailed = false
        // The encoding given is the page's, already worked out: a `<meta charset>` in it must not switch it.
        let options = LibXML2.htmlOptions | Int32(HTML_PARSE_IGNORE_ENC.rawValue)
        // libxml2's HTML parser ends the document at a NUL byte, without a word: the rest of the page was lost. In the
        // ASCII-compatible encodings given here a NUL byte is no character of a message: dropped ("<p>\0</p>" has no
        // text). (UTF-16 and UTF-32 pages are converted to UTF-8 before, their NULs dropped there.)
        var bytes = bytes
        if bytes.contains(0) {
            bytes.removeAll { $0 == 0 }
        }
        let document: htmlDocPtr? = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                htmlCtxtReadMemory(context, chars.baseAddress, Int32(clamping: chars.count), "noname.html", encoding, options)
            }
        }
        defer { if let document { xmlFreeDoc(document) } }
        // A recovered error leaves the parser running; only a halt disables its callbacks.
        var stopped: String?
        if LibXML2.encodingConversionFailed {
            // libxml2 stops at a byte its declared encoding does not have, and says nothing to the parser.
            stopped = "libxml2 stopped reading the HTML at a byte its declared encoding does not have"
        } else if context.pointee.disableSAX != 0 {
            let error = xmlCtxtGetLastError(context)
            let line = error.map { Int($0.pointee.line) } ?? 0
            stopped = "libxml2 stopped reading the HTML" + (line > 0 ? " at line \(line)" : "")
                + (error?.pointee.code == Int32(XML_ERR_INTERNAL_ERROR.rawValue) ? " (elements nested too deep)" : "")
        }
        return try body(document, stopped)
    }

    static let skipped: Set<String> = ["script", "style", "noscript", "template", "head", "title", "object", "iframe"]
    /// Where a reply quotes the conversation so far (the company's earlier text), left out of a message's text by the
    /// readers of e-mails and of HTML fields: `skipping: HTMLText.quotedHistory`.
    static let quotedHistory: Set<String> = ["blockquote"]
    static let blocks: Set<String> = [
        "p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
        "section", "article", "header", "footer", "hr", "dl", "dt", "dd", "address", "form", "fieldset", "main",
        "nav", "aside", "figure", "figcaption", "body", "html", "center",
    ]

    /// The visible text of a subtree. Call holding the libxml2 lock.
    static func text(of node: xmlNodePtr, skipping extraSkipped: Set<String> = []) -> String {
        var builder = Builder()
        walk(node, into: &builder, preformatted: false, skipping: extraSkipped, depth: 0)
        return TextCleaning.tidyLines(builder.output)
    }

    struct Builder {
        var output = ""
        var pendingSpace = false

        mutating func newline() {
            pendingSpace = false
            if !output.isEmpty, !output.hasSuffix("\n") { output += "\n" }
        }

        mutating func paragraph() {
            pendingSpace = false
            if output.isEmpty { return }
            if output.hasSuffix("\n\n") { return }
            output += output.hasSuffix("\n") ? "\n" : "\n\n"
        }

        mutating func append(_ text: String, preformatted: Bool) {
            if preformatted {
                output += text
                return
            }
            for scalar in text.unicodeScalars {
                if scalar.properties.isWhitespace, scalar != "\u{A0}" {
                    pendingSpace = true
                } else {
                    if pendingSpace, !output.isEmpty, !output.hasSuffix("\n") { output += " " }
                    pendingSpace = false
                    output.unicodeScalars.append(scalar)
                }
            }
        }
    }

    private static func walk(_ first: xmlNodePtr?, into builder: inout Builder, preformatted: Bool, skipping: Set<String>, depth: Int) {
        // Iterate siblings; recurse into children (libxml2's HTML parser bounds the depth at 256).
        var current = first
        while let node = current {
            defer { current = depth == 0 ? nil : node.pointee.next }
            switch node.pointee.type {
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                if let content = LibXML2.string(node.pointee.content) {
                    builder.append(content, preformatted: preformatted)
                }
            case XML_ELEMENT_NODE:
                let name = (LibXML2.string(node.pointee.name) ?? "").lowercased()
                if skipped.contains(name) || skipping.contains(name) { continue }
                if name == "br" { builder.newline(); continue }
                let isBlock = blocks.contains(name)
                if name == "p" || name == "blockquote" || name.first == "h" && name.count == 2 { builder.paragraph() } else if isBlock { builder.newline() }
                if name == "td" || name == "th" { builder.pendingSpace = true }
                walk(node.pointee.children, into: &builder, preformatted: preformatted || name == "pre", skipping: skipping, depth: depth + 1)
                if name == "p" || name == "blockquote" { builder.paragraph() } else if isBlock { builder.newline() }
            default:
                break
            }
        }
    }
}
