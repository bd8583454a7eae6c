import Foundation
import ArgumentParser
import Switchboard

/// Range checks shared by the commands' `validate()`: a value out of range is a usage error that names the
/// option, where it used to trap later on a conversion or an overflow (`--threads 9223372036854775807`,
/// `--chunk-megabytes nan`).
enum OptionChecks {
    /// The most worker threads any command accepts: far above any machine's cores, far below an overflow.
    static let maximumThreads = 4_096

    /// `--threads`, when given: 1 to ``maximumThreads``.
    static func threads(_ value: Int?) throws {
        guard let value else { return }
        guard (1...maximumThreads).contains(value) else {
            throw ValidationError("--threads must be between 1 and \(maximumThreads) (got \(value))")
        }
    }

    /// A finite number in `range`.
    static func number(_ value: Double?, _ name: String, in range: ClosedRange<Double>) throws {
        guard let value else { return }
        guard value.isFinite, range.contains(value) else {
            throw ValidationError("\(name) must be a number between \(format(range.lowerBound)) and \(format(range.upperBound)) (got \(value))")
        }
    }

    /// An integer in `range`.
    static func integer(_ value: Int?, _ name: String, in range: ClosedRange<Int>) throws {
        guard let value else { return }
        guard range.contains(value) else {
            throw ValidationError("\(name) must be between \(range.lowerBound) and \(range.upperBound) (got \(value))")
        }
    }

    /// The files of `--calibrate`, which takes every file up to the next option: one that is a model file was meant
    /// for before it (`merge -o M a.sbm --calibrate held.jsonl b.sbm` read b.sbm as labelled messages).
    static func calibrationFiles(_ paths: [String], before what: String) throws {
        for path in paths {
            // Only a regular file is looked into: a pipe (`<(cat held.jsonl)`, /dev/stdin) read here would be
            // empty for the real read, and a named pipe would wait. A missing file is the corpus reader's to report.
            let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            guard (try? FileManager.default.attributesOfItem(atPath: resolved)[.type] as? FileAttributeType) == .typeRegular else { continue }
            let handle = FileHandle(forReadingAtPath: path)
            let head = (try? handle?.read(upToCount: 8)).flatMap { $0.map(Array.init) } ?? []
            try? handle?.close()
            if path.lowercased().hasSuffix(".sbm") || head == ModelFile.magic {
                throw ValidationError("\(path) is a model file, given after --calibrate, which takes every file up to the next option: give the \(what) before --calibrate")
            }
        }
    }

    private static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }
}
