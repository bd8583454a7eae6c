import CLibXML2
import Foundation

/// The single serialising point for every libxml2 call of the package.
///
/// libxml2 keeps global state (the parser dictionary, error handlers, the entity loader), so all
/// calls go through ``withLock(_:)``, which holds one process-wide lock. The first call also
/// initialises the library and installs an external entity loader that refuses everything, so
/// that no document can make the parser open a file or URL (XXE) even if an option slipped:
/// the documents themselves are always handed over from memory or a file descriptor, which
/// does not go through the loader. `xmlCleanupParser()` is never called: it would break any
/// other libxml2 user of the process.
enum LibXML2 {
    private static let lock = NSLock()
    /// Guarded by `lock`.
    nonisolated(unsafe) private static var initialised = false
    /// Guarded by `lock`: whether libxml2 failed to convert input from its declared encoding since this was last
    /// set to false. It then stops reading without a word, and the rest of the document is lost.
    nonisolated(unsafe) static var encodingConversionFailed = false

    /// Options for XML: never substitute entities (`XML_PARSE_NOENT`), never load a DTD, never use
    /// the network, no `XML_PARSE_HUGE` (so libxml2's default limits on depth and text size apply).
    static let xmlOptions = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOCDATA.rawValue)

    /// Options for HTML: recover from broken markup quietly, never use the network.
    static let htmlOptions = Int32(
        HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NONET.rawValue | HTML_PARSE_NOERROR.rawValue
            | HTML_PARSE_NOWARNING.rawValue)

    /// Runs `body` holding the libxml2 lock.
    static func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        if !initialised {
            xmlInitParser()
            xmlSetExternalEntityLoader(refuseExternalEntity)
            initialised = true
        }
        // Every libxml2 error to `recordError`, none to standard error: an encoding error printed the message's
        // bytes there. Set on each call, since libxml2 keeps its error handlers per thread.
        xmlSetStructuredErrorFunc(nil, recordError)
        return try body()
    }

    /// Whether libxml2 (with iconv) can read text in the charset `name`.
    static func knowsEncoding(_ name: String) -> Bool {
        withLock {
            guard let handler = xmlFindCharEncodingHandler(name) else { return false }
            xmlCharEncCloseFunc(handler)
            return true
        }
    }

    /// A libxml2 string as a Swift string (nil stays nil); the pointer is not freed.
    static func string(_ pointer: UnsafePointer<xmlChar>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
    }

    /// The value of an element's attribute (freeing libxml2's copy).
    static func attribute(_ node: xmlNodePtr, _ name: String) -> String? {
        guard let value = xmlGetProp(node, name) else { return nil }
        defer { switchboard_xmlFree(value) }
        return string(value)
    }
}

/// The error handler installed by ``LibXML2``: prints nothing, and notes a failed encoding conversion (called
/// holding the lock, from within a libxml2 call).
private func recordError(_ context: UnsafeMutableRawPointer?, _ error: xmlErrorPtr?) {
    guard let error else { return }
    if error.pointee.code == Int32(XML_I18N_CONV_FAILED.rawValue) { LibXML2.encodingConversionFailed = true }
}

/// The external entity loader installed by ``LibXML2``: it loads nothing.
private func refuseExternalEntity(
    _ url: UnsafePointer<CChar>?, _ id: UnsafePointer<CChar>?, _ context: xmlParserCtxtPtr?
) -> xmlParserInputPtr? {
    nil
}
