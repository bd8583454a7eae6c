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
    /// - Parameter encoding: the document's encoding if known (`UTF-8`); nil lets libxml2 read the
    ///   `<meta charset>` or guess.
    ///   - skipping: further elements to leave out (`blockquote` for quoted e-mail history).
    static func text(fromHTML bytes: [UInt8], encoding: String? = "UTF-8", skipping: Set<String> = []) -> String {
        guard !bytes.isEmpty else { return "" }
        return LibXML2.withLock {
            withDocument(bytes, encoding: encoding) { document in
                guard let document, let root = xmlDocGetRootElement(document) else { return "" }
                return text(of: root, skipping: skipping)
            }
        }
    }

    /// Parses HTML into a document, calls `body` with it and frees it. Call holding the libxml2 lock.
    static func withDocument<T>(_ bytes: [UInt8], encoding: String?, _ body: (htmlDocPtr?) -> T) -> T {
        let document: htmlDocPtr? = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                htmlReadMemory(chars.baseAddress, Int32(clamping: chars.count), "noname.html", encoding, LibXML2.htmlOptions)
            }
        }
        defer { if let document { xmlFreeDoc(document) } }
        return body(document)
    }

    static let skipped: Set<String> = ["script", "style", "noscript", "template", "head", "title", "object", "iframe"]
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
