/// A map from feature hash to feature number: open addressing with linear probing.
///
/// Written by hand because it is the innermost loop of training and classification: `Dictionary` hashes
/// its keys again with SipHash, while these keys are already well-mixed 64-bit hashes, and a flat table
/// of keys and values is about three times faster to probe. Key 0 marks an empty slot (feature hashes
/// are never 0).
struct FeatureIndex: Sendable {
    private(set) var keys: [UInt64]
    private(set) var values: [Int32]
    private(set) var count: Int = 0
    private var mask: Int

    /// Creates an empty index sized for about `expected` keys.
    init(expected: Int = 1024) {
        var capacity = 16
        while capacity < expected * 2 { capacity <<= 1 }
        keys = Array(repeating: 0, count: capacity)
        values = Array(repeating: -1, count: capacity)
        mask = capacity - 1
    }

    /// Creates an index of `hashes`, numbered in order.
    init(hashes: [UInt64]) {
        self.init(expected: hashes.count)
        for (number, hash) in hashes.enumerated() { _ = insert(hash, value: Int32(number)) }
    }

    /// The number of `hash`, or -1 when it is unknown.
    @inline(__always)
    func lookup(_ hash: UInt64) -> Int32 {
        var slot = Int(truncatingIfNeeded: hash >> 7) & mask
        return keys.withUnsafeBufferPointer { k in
            while true {
                let key = k[slot]
                if key == hash { return values[slot] }
                if key == 0 { return -1 }
                slot = (slot + 1) & mask
            }
        }
    }

    /// The number of `hash`, inserting it with `value` if it is new; returns the number and whether it was inserted.
    @inline(__always)
    mutating func insert(_ hash: UInt64, value: Int32) -> (Int32, Bool) {
        if (count + 1) * 2 > keys.count { grow() }
        var slot = Int(truncatingIfNeeded: hash >> 7) & mask
        while true {
            let key = keys[slot]
            if key == hash { return (values[slot], false) }
            if key == 0 {
                keys[slot] = hash
                values[slot] = value
                count += 1
                return (value, true)
            }
            slot = (slot + 1) & mask
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = Array(repeating: 0, count: oldKeys.count * 2)
        values = Array(repeating: -1, count: oldKeys.count * 2)
        mask = keys.count - 1
        count = 0
        for (slot, key) in oldKeys.enumerated() where key != 0 { _ = insert(key, value: oldValues[slot]) }
    }
}
