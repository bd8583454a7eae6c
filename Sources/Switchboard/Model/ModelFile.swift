import Foundation

/// The Switchboard model file format (`.sbm`), version 2.
///
/// All integers little-endian.
///
/// | offset | size | content |
/// |---|---|---|
/// | 0 | 8 | magic `SWBDMODL` |
/// | 8 | 2 | format version (2) |
/// | 10 | 2 | flags (0) |
/// | 12 | 4 | metadata length M |
/// | 16 | 8 | body length B (everything after the 32-byte header) |
/// | 24 | 4 | CRC-32 of the body |
/// | 28 | 4 | reserved (0) |
/// | 32 | M | metadata: UTF-8 JSON of ``ModelMetadata``, keys sorted |
/// | 32+M | 4 | counts: features V |
/// | ... | 4 | entries E |
/// | ... | 4 | labels C |
/// | ... | 4 | learnt corrections L |
/// | ... | 8V | feature hashes (UInt64, ascending) |
/// | ... | 4V | document frequencies (UInt32) |
/// | ... | 4(V+1) | entry offsets (UInt32) |
/// | ... | 2E | entry classes (UInt16) |
/// | ... | 8E | entry masses (UInt64, fixed point: ``ModelStatistics/massScale`` units) |
/// | ... | 4C | documents per class (UInt32) |
/// | ... | 8L | hashes of the learnt corrections' ids (UInt64, ascending) |
/// | ... | 8L | hashes of their labels and texts (UInt64) |
///
/// Version 1 (still read) had no learnt corrections and no L, and stored masses as Float32, which are
/// rounded to fixed point on reading.
///
/// A reader refuses a file whose magic, version, lengths or checksum do not match, and checks every
/// offset and class number before use, so a damaged file gives an error, never a crash.
public enum ModelFile {
    /// The most training messages a model file may say it was trained on (2^48: far beyond any corpus, far from
    /// overflowing when models are merged).
    static let maximumDocuments = 1 << 48

    /// The format version this build writes and reads.
    public static let currentVersion = 2
    /// The first eight bytes of every model file.
    package static let magic: [UInt8] = Array("SWBDMODL".utf8)
    static let headerSize = 32

    /// Encodes a model.
    public static func encode(_ model: NaiveBayesModel) throws -> Data {
        try encode(model, version: currentVersion)
    }

    /// Encodes a model in format `version` (1 or 2; 1 drops learnt corrections: for tests of old files).
    static func encode(_ model: NaiveBayesModel, version: Int) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        var written = model.metadata
        written.formatVersion = version
        written.toolVersion = SwitchboardVersion.current
        let metadata = try encoder.encode(written)
        let s = model.statistics
        var body = Data()
        body.reserveCapacity(metadata.count + 12 + s.featureCount * 16 + s.entryCount * 6 + s.labels.count * 4 + 8)
        body.append(metadata)
        appendInteger(UInt32(s.featureCount), to: &body)
        appendInteger(UInt32(s.entryCount), to: &body)
        appendInteger(UInt32(s.labels.count), to: &body)
        if version >= 2 { appendInteger(UInt32(s.learntCount), to: &body) }
        appendArray(s.featureKeys, to: &body)
        appendArray(s.documentFrequency, to: &body)
        appendArray(s.featureStart, to: &body)
        appendArray(s.entryClass, to: &body)
        if version >= 2 {
            appendArray(s.entryValue, to: &body)
        } else {
            appendArray((0..<s.entryCount).map { Float(s.mass($0)).bitPattern }, to: &body)
        }
        appendArray(s.classDocuments, to: &body)
        if version >= 2 {
            appendArray(s.learntIDs, to: &body)
            appendArray(s.learntDigests, to: &body)
        }

        var file = Data(magic)
        appendInteger(UInt16(version), to: &file)
        appendInteger(UInt16(0), to: &file)
        appendInteger(UInt32(metadata.count), to: &file)
        appendInteger(UInt64(body.count), to: &file)
        appendInteger(body.withUnsafeBytes { Checksum.crc32($0) }, to: &file)
        appendInteger(UInt32(0), to: &file)
        file.append(body)
        return file
    }

    /// Writes a model to `path` atomically.
    public static func write(_ model: NaiveBayesModel, to path: String) throws {
        try AtomicFile.write(try encode(model), to: path)
    }

    /// Reads the model at `path`.
    public static func read(from path: String) throws -> NaiveBayesModel {
        // The file's bytes are let go before the scoring tables are built from the decoded counts, so that
        // the two are never in memory together (for a 2.7 MB banking77 model, 2.7 MB less at the peak).
        let parts = try { () throws -> (ModelStatistics, ModelMetadata) in
            let data: Data
            var info = stat()
            if stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
                throw SwitchboardError(.io, "cannot read the model file: it is not a regular file (a directory, a device or a pipe)", location: SourceLocation(file: path))
            }
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
            } catch {
                throw SwitchboardError(.io, "cannot read the model file", location: SourceLocation(file: path), cause: error as NSError)
            }
            do {
                return try decodeParts(data)
            } catch var error as SwitchboardError {
                error.location = SourceLocation(file: path)
                throw error
            }
        }()
        return NaiveBayesModel(statistics: parts.0, metadata: parts.1)
    }

    /// Decodes a model.
    public static func decode(_ data: Data) throws -> NaiveBayesModel {
        let (statistics, metadata) = try decodeParts(data)
        return NaiveBayesModel(statistics: statistics, metadata: metadata)
    }

    /// Decodes and checks a model's counts and metadata, copying them out of `data`.
    private static func decodeParts(_ data: Data) throws -> (ModelStatistics, ModelMetadata) {
        func invalid(_ message: String) -> SwitchboardError { SwitchboardError(.invalidModel, message) }
        guard data.count >= 8, data.prefix(8).elementsEqual(magic) else {
            throw invalid("not a Switchboard model file (no SWBDMODL signature)")
        }
        guard data.count >= headerSize else { throw invalid("the model file is truncated (\(data.count) bytes, header is \(headerSize))") }
        var reader = ByteReader(data: data, offset: 8)
        let version = Int(try reader.integer(UInt16.self))
        guard version <= currentVersion else {
            throw invalid("the model file has format version \(version); this switchboard (\(SwitchboardVersion.current)) reads version \(currentVersion) and older: upgrade switchboard")
        }
        guard version >= 1 else { throw invalid("the model file has an unknown format version \(version)") }
        // Flags and the reserved word are 0 in every file written so far; anything else is a file this reader
        // does not understand, and the checksum does not cover the header.
        let flags = try reader.integer(UInt16.self)
        guard flags == 0 else { throw invalid("the model file has flags \(flags) that this switchboard (\(SwitchboardVersion.current)) does not know: upgrade switchboard") }
        let metadataLength = Int(try reader.integer(UInt32.self))
        let bodyLength = try reader.integer(UInt64.self)
        let storedCRC = try reader.integer(UInt32.self)
        guard try reader.integer(UInt32.self) == 0 else { throw invalid("the model file's reserved header field is not 0: the header is damaged") }
        guard bodyLength == UInt64(data.count - headerSize) else {
            throw invalid("the model file is truncated or has trailing bytes (body is \(data.count - headerSize) bytes, header says \(bodyLength))")
        }
        let crc = data.withUnsafeBytes { Checksum.crc32(UnsafeRawBufferPointer(rebasing: $0[headerSize...])) }
        guard crc == storedCRC else { throw invalid("the model file is corrupted (checksum mismatch)") }
        guard metadataLength <= data.count - headerSize else { throw invalid("the model file's metadata length is out of range") }

        let metadataBytes = data.subdata(in: (data.startIndex + headerSize)..<(data.startIndex + headerSize + metadataLength))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let metadata: ModelMetadata
        do {
            metadata = try decoder.decode(ModelMetadata.self, from: metadataBytes)
        } catch {
            throw SwitchboardError(.invalidModel, "the model file's metadata cannot be read", cause: error as NSError)
        }
        guard metadata.formatVersion == version else {
            throw invalid("the model file's header says format version \(version) and its metadata \(metadata.formatVersion): the file is damaged")
        }
        reader.offset = headerSize + metadataLength
        let v = Int(try reader.integer(UInt32.self))
        let e = Int(try reader.integer(UInt32.self))
        let c = Int(try reader.integer(UInt32.self))
        let l = version >= 2 ? Int(try reader.integer(UInt32.self)) : 0
        let massSize = version >= 2 ? 8 : 4
        let expected = 8 * v + 4 * v + 4 * (v + 1) + 2 * e + massSize * e + 4 * c + 16 * l
        guard reader.remaining == expected else {
            throw invalid("the model file's arrays do not match their counts (\(v) features, \(e) entries, \(c) labels, \(l) learnt corrections)")
        }
        guard c == metadata.labels.count else { throw invalid("the model file has \(c) classes but \(metadata.labels.count) labels") }
        let keys = try reader.array(UInt64.self, count: v)
        let frequencies = try reader.array(UInt32.self, count: v)
        let starts = try reader.array(UInt32.self, count: v + 1)
        let classes = try reader.array(UInt16.self, count: e)
        let masses: [UInt64]
        if version >= 2 {
            masses = try reader.array(UInt64.self, count: e)
        } else {
            let floats = try reader.array(UInt32.self, count: e).map(Float.init(bitPattern:))
            guard floats.allSatisfy({ $0.isFinite && $0 >= 0 && $0 < 1e9 }) else { throw invalid("the model's statistics are inconsistent: entry value") }
            masses = floats.map(ModelStatistics.fixedPoint)
        }
        var statistics = ModelStatistics(
            labels: metadata.labels, featureKeys: keys, documentFrequency: frequencies, featureStart: starts,
            entryClass: classes, entryValue: masses, classDocuments: try reader.array(UInt32.self, count: c))
        statistics.learntIDs = try reader.array(UInt64.self, count: l)
        statistics.learntDigests = try reader.array(UInt64.self, count: l)
        try statistics.validate()
        try metadata.features.validate()
        try metadata.parameters.validate(minimumAlpha: NaiveBayesParameters.minimumLoadedAlpha)
        try metadata.calibration.validate()
        // A count of training messages is added to by `learn` and `merge`: a crafted 2^63 - 1 trapped them.
        guard (0...Self.maximumDocuments).contains(metadata.training.documents) else {
            throw invalid("the model's training summary is out of range: \(metadata.training.documents) messages")
        }
        return (statistics, metadata)
    }

    /// Appends a whole array little-endian, in one copy (a value at a time costs a bounds and exclusivity
    /// check per value: seconds for a model of a million features).
    private static func appendArray<T: FixedWidthInteger>(_ values: [T], to data: inout Data) {
        #if _endian(little)
        values.withUnsafeBytes { data.append(contentsOf: $0) }
        #else
        values.map(\.littleEndian).withUnsafeBytes { data.append(contentsOf: $0) }
        #endif
    }

    private static func appendInteger<T: FixedWidthInteger>(_ value: T, to data: inout Data) {
        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
    }
}

/// Reads little-endian integers from bytes, with bounds checks.
struct ByteReader {
    let data: Data
    var offset: Int

    var remaining: Int { data.count - offset }

    mutating func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= data.count else { throw SwitchboardError(.invalidModel, "the model file is truncated") }
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { target in
            data.withUnsafeBytes { source in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + size)]))
            }
        }
        offset += size
        return T(littleEndian: value)
    }

    mutating func array<T: FixedWidthInteger>(_ type: T.Type, count: Int) throws -> [T] {
        let size = MemoryLayout<T>.size * count
        guard count >= 0, offset + size <= data.count else { throw SwitchboardError(.invalidModel, "the model file is truncated") }
        var result = [T](repeating: 0, count: count)
        result.withUnsafeMutableBytes { target in
            data.withUnsafeBytes { source in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + size)]))
            }
        }
        offset += size
        #if _endian(big)
        for i in result.indices { result[i] = T(littleEndian: result[i]) }
        #endif
        return result
    }
}
