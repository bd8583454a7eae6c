import Foundation

/// What ``NaiveBayesModel/learning(_:forget:workers:)`` did with each correction.
public struct LearningReport: Sendable {
    /// The updated model.
    public var model: NaiveBayesModel
    /// Corrections learnt (or forgotten).
    public var applied = 0
    /// Corrections already learnt (or already forgotten in this run): applied once, not twice.
    public var unchanged = 0
    /// Corrections refused, each with its location and why; nothing of them reached the model.
    public var rejected: [SwitchboardError] = []
    /// Labels the model did not have before (learning) or no longer has (forgetting).
    public var labelChanges: [String] = []
}

extension NaiveBayesModel {
    /// The identifier a correction is learnt under: its id, or, without one, `sha:` and the digest of its
    /// label and text (so the same line fed twice is learnt once).
    public static func correctionID(_ example: LabeledExample) -> String {
        example.id ?? "sha:" + Trainer.hex(correctionDigest(label: example.label, text: example.text))
    }

    /// A correction's digest, stored in the model with its id: FNV-1a 64 of the label and of the text's tokens,
    /// in which e-mail addresses, phone numbers, IBANs and the like are already placeholders.
    ///
    /// Not of the raw text: a 64-bit hash of a short text can be searched for, and a review recovered a phone
    /// number sent as a correction ("06 47 21 93 58") from a model file in 15 s. Texts that differ only in such
    /// data are the same correction.
    public static func correctionDigest(label: String, text: String) -> UInt64 {
        var hash = Checksum.fnvOffset
        Checksum.fnv1a(label.utf8, into: &hash)
        Checksum.fnv1a([9], into: &hash)
        for token in Tokenizer().tokens(text) {
            Checksum.fnv1a(token.text.utf8, into: &hash)
            Checksum.fnv1a([0x20], into: &hash)
        }
        return hash
    }

    /// This model updated with labelled corrections, or without corrections learnt before (`forget`), as
    /// bogofilter's `-n`/`-s` and `-N`/`-S` do: no retraining, the corrections' counts are added or subtracted.
    ///
    /// Each correction is applied once: an id the model already learnt (with the same label and text) is left
    /// as is; an id learnt with another label or text is rejected (forget it first). Forgetting takes back
    /// exactly what learning added, so learning then forgetting the same corrections gives back the same
    /// model, bit for bit. A new label is accepted (see ``LearningReport/labelChanges``): a routing policy
    /// needs an entry for it.
    ///
    /// Hyperparameters, the calibration and the abstention threshold are carried over unchanged: recalibrate
    /// on held-out data (``recalibrated(on:targetPrecision:)``) once the corrections are many.
    public func learning(_ corrections: [LabeledExample], forget: Bool = false, workers: Int? = nil) throws -> LearningReport {
        let workers = workers ?? Parallel.defaultWorkers
        var report = LearningReport(model: self)
        var accepted: [LabeledExample] = []
        var acceptedIDs: [UInt64: UInt64] = [:]
        for original in corrections {
            // The corpus reader's checks, for corrections from anywhere (a feedback database written by another
            // tool gave labels with line breaks, tabs, or nothing at all, and `route` printed them as such).
            var correction = original
            correction.label = LabeledExample.trimmedLabel(original.label)
            if let problem = LabeledExample.labelProblem(correction.label) {
                report.rejected.append(SwitchboardError(.malformedRecord, "correction\(original.id.map { " '\($0)'" } ?? ""): \(problem)", location: original.location))
                continue
            }
            var id = Self.correctionID(correction)
            var idHash = Self.idHash(id)
            var digest = Self.correctionDigest(label: correction.label, text: correction.text)
            // Corrections learnt before the digest was of tokens (2026-12-01) are recorded by the digest of their raw
            // text, and those without an id under an id made from it: recognised as such, so that they can still be
            // forgotten and are not learnt twice.
            let legacyDigest = Trainer.digest(label: correction.label, text: correction.text)
            let legacyID = correction.id ?? "sha:" + Trainer.hex(legacyDigest)
            let legacyHash = Self.idHash(legacyID)
            if correction.id != nil || statistics.learntDigest(of: idHash) == nil, statistics.learntDigest(of: legacyHash) == legacyDigest {
                id = legacyID; idHash = legacyHash; digest = legacyDigest
            }
            func reject(_ why: String) {
                report.rejected.append(SwitchboardError(.malformedRecord, "correction '\(id)' \(why)", location: correction.location))
            }
            if let earlier = acceptedIDs[idHash] {
                if earlier == digest { report.unchanged += 1 } else { reject("appears twice with different labels or texts") }
                continue
            }
            let learnt = statistics.learntDigest(of: idHash)
            if forget {
                guard let learnt else { reject("was not learnt by this model: nothing to forget"); continue }
                guard learnt == digest else { reject("was learnt with another label or text (or one this switchboard reads differently): give the one learnt to forget it"); continue }
            } else if let learnt {
                if learnt == digest { report.unchanged += 1 } else { reject("was already learnt with another label or text: forget that one first") }
                continue
            }
            guard !correction.text.allSatisfy(\.isWhitespace) else { reject("has an empty text"); continue }
            acceptedIDs[idHash] = digest
            accepted.append(correction)
        }
        guard !accepted.isEmpty else { return report }

        let labels = Array(Set(accepted.map(\.label))).sorted()
        // As `train`: thousands of labels are columns the wrong way round (70,000 trapped a conversion here).
        try Trainer.checkLabelCount(Set(labels).union(self.labels).count)
        let classOf = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, Int32($0)) })
        let matrix = FeatureMatrix.extract(accepted.map(\.text), settings: metadata.features, workers: workers)
        let p = metadata.parameters
        let values = matrix.transformedValues(isChar: matrix.keys.map(FeatureHash.isChar), sublinearTF: p.sublinearTF, normalizeLength: p.normalizeLength)
        var delta = try matrix.statistics(values: values, rowClass: accepted.map { classOf[$0.label] ?? 0 }, labels: labels, workers: workers)
        let learnt = acceptedIDs.sorted { $0.key < $1.key }
        delta.learntIDs = learnt.map(\.key)
        delta.learntDigests = learnt.map(\.value)
        let updated = forget ? try statistics.subtracting(delta) : try statistics.adding(delta)

        // The corpus checksum is a sum of the examples' digests: add or take away the accepted ones'.
        var checksum = UInt64(metadata.training.corpusChecksum, radix: 16) ?? 0
        for digest in acceptedIDs.values { checksum = forget ? checksum &- digest : checksum &+ digest }
        var m = metadata
        m.labels = updated.labels
        m.training.documents = forget ? m.training.documents - accepted.count : m.training.documents + accepted.count
        m.training.documentsPerLabel = Dictionary(uniqueKeysWithValues: zip(updated.labels, updated.classDocuments.map(Int.init)))
        m.training.corpusChecksum = Trainer.hex(checksum)
        m.topFeatures = m.topFeatures.filter { updated.labels.contains($0.key) }
        report.labelChanges = forget ? labels.filter { !updated.labels.contains($0) } : labels.filter { !statistics.labels.contains($0) }
        report.applied = accepted.count
        report.model = NaiveBayesModel(statistics: updated, metadata: m)
        return report
    }

    /// A 64-bit hash of a correction id (FNV-1a 64). A short id can be searched for from it: ids are meant to be
    /// message identifiers, not a customer's phone number or address.
    static func idHash(_ id: String) -> UInt64 {
        var hash = Checksum.fnvOffset
        Checksum.fnv1a(id.utf8, into: &hash)
        return hash
    }
}

extension ModelStatistics {
    /// The digest learnt with a correction id hash, if the id was learnt.
    func learntDigest(of idHash: UInt64) -> UInt64? {
        var low = 0, high = learntIDs.count
        while low < high {
            let mid = (low + high) / 2
            if learntIDs[mid] < idHash { low = mid + 1 } else { high = mid }
        }
        return low < learntIDs.count && learntIDs[low] == idHash ? learntDigests[low] : nil
    }
}
