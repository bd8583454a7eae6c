/// Extracts a few fields, given as dotted paths, from a JSON object in one validating pass.
///
/// Only the values at the requested paths are built; everything else is validated and skipped,
/// which is what makes JSON Lines reading fast. Paths are split on `.` (`message.body`).
struct JSONFieldSelector: Sendable {
    /// A value found at a requested path.
    enum Captured: Sendable {
        case string(String)
        case number(String)
        case bool(Bool)
        case null
        /// An object or array (not built).
        case compound(String)
    }

    /// A trie of path components; node 0 is the root.
    private struct Node: Sendable {
        var key: [UInt8]
        var children: [Int] = []
        var slot: Int?
    }

    private var nodes = [Node(key: [])]
    /// The number of requested paths (the size of a result).
    let count: Int
    /// The requested paths, for errors.
    private let paths: [String]

    /// Creates a selector for `paths`; the result of ``select(_:maxDepth:)`` is indexed like them.
    init(paths: [String]) {
        count = paths.count
        self.paths = paths
        for (slot, path) in paths.enumerated() {
            var node = 0
            for component in path.split(separator: ".", omittingEmptySubsequences: false) {
                let key = Array(component.utf8)
                if let existing = nodes[node].children.first(where: { nodes[$0].key == key }) {
                    node = existing
                } else {
                    nodes.append(Node(key: key))
                    nodes[node].children.append(nodes.count - 1)
                    node = nodes.count - 1
                }
            }
            if nodes[node].slot == nil { nodes[node].slot = slot }
        }
    }

    /// Parses `bytes` as one JSON object and returns the values at the requested paths.
    ///
    /// - Throws: ``JSONSyntaxError`` when the bytes are not valid JSON or not an object, or hold a requested field
    ///   twice: JSON leaves the meaning of a repeated name open, and taking the last one silently routed a text
    ///   the record may not mean.
    func select(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) throws -> [Captured?] {
        var scanner = JSONScanner(bytes: bytes, maxDepth: maxDepth)
        var result = [Captured?](repeating: nil, count: count)
        scanner.skipWhitespace()
        guard scanner.peek() == UInt8(ascii: "{") else {
            if scanner.peek() == nil { throw scanner.error("empty line") }
            let value = try scanner.parseValue()
            throw JSONSyntaxError(message: "expected a JSON object, found \(value.kindName)", offset: 0)
        }
        var key: [UInt8] = []
        try scanObject(&scanner, node: 0, depth: 0, key: &key, into: &result)
        try scanner.expectEnd()
        return result
    }

    private func scanObject(
        _ scanner: inout JSONScanner, node: Int, depth: Int, key: inout [UInt8], into result: inout [Captured?]
    ) throws {
        guard depth < scanner.maxDepth else { throw scanner.error("nesting deeper than \(scanner.maxDepth)") }
        scanner.index += 1  // {
        scanner.skipWhitespace()
        if scanner.peek() == UInt8(ascii: "}") { scanner.index += 1; return }
        let children = nodes[node].children
        while true {
            scanner.skipWhitespace()
            guard scanner.peek() == UInt8(ascii: "\"") else { throw scanner.error("expected a string key") }
            key.removeAll(keepingCapacity: true)
            try scanner.parseStringBytes(into: &key)
            try scanner.expect(UInt8(ascii: ":"), "':'")
            scanner.skipWhitespace()
            if let child = children.first(where: { nodes[$0].key == key }) {
                let target = nodes[child]
                if let slot = target.slot, result[slot] != nil {
                    // The field's name only: never its value, which can be the message.
                    throw scanner.error("the field '\(paths[slot])' appears more than once in the record")
                }
                if !target.children.isEmpty, scanner.peek() == UInt8(ascii: "{") {
                    if let slot = target.slot { result[slot] = .compound("an object") }
                    try scanObject(&scanner, node: child, depth: depth + 1, key: &key, into: &result)
                } else if let slot = target.slot {
                    result[slot] = try capture(&scanner, depth: depth + 1)
                } else {
                    try scanner.skipValue(depth: depth + 1)
                }
            } else {
                try scanner.skipValue(depth: depth + 1)
            }
            scanner.skipWhitespace()
            guard let next = scanner.peek() else { throw scanner.error("unexpected end of input in an object") }
            scanner.index += 1
            if next == UInt8(ascii: "}") { return }
            if next != UInt8(ascii: ",") { scanner.index -= 1; throw scanner.error("expected ',' or '}'") }
            if scanner.closesAfterTrailingComma(UInt8(ascii: "}")) { return }
        }
    }

    private func capture(_ scanner: inout JSONScanner, depth: Int) throws -> Captured {
        switch scanner.peek() {
        case UInt8(ascii: "\""):
            return .string(try scanner.parseString())
        case UInt8(ascii: "{"):
            try scanner.skipValue(depth: depth)
            return .compound("an object")
        case UInt8(ascii: "["):
            try scanner.skipValue(depth: depth)
            return .compound("an array")
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            switch try scanner.parseLiteral() {
            case .bool(let value): return .bool(value)
            default: return .null
            }
        default:
            return .number(try scanner.parseNumber())
        }
    }
}
