extension Array {
    /// Empties the array, keeping its storage for the next message unless it holds more than `limit` elements.
    ///
    /// Buffers are reused from one message to the next, and scratches are pooled: without a bound, one outsized
    /// message would leave every buffer it grew at its size for good, in each pooled scratch.
    @inline(__always)
    mutating func removeAll(keepingCapacityUpTo limit: Int) {
        removeAll(keepingCapacity: capacity <= limit)
    }
}

/// The most elements a per-message buffer keeps between messages (see ``Swift/Array/removeAll(keepingCapacityUpTo:)``):
/// enough for any ordinary message, a few hundred kilobytes at most.
let reusableBufferLimit = 1 << 16
