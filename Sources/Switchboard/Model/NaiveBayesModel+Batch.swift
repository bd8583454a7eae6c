extension NaiveBayesModel {
    /// Classifies many texts on every core; results in input order.
    public func classifyBatch(_ texts: [String], workers: Int? = nil) -> [Classification] {
        classifyBatch(texts, workers: workers) { $0 }
    }

    /// Classifies many texts on every core and turns each result into a `T` (a line of output, say) on the
    /// thread that classified it; results in input order.
    ///
    /// Formatting results on the caller's thread afterwards is a serial step between parallel ones: `classify`
    /// did that with its JSON lines, and two threads were only about 1.2 times as fast as one.
    public func classifyBatch<T: Sendable>(_ texts: [String], workers: Int? = nil, _ transform: @Sendable (Classification) -> T) -> [T] {
        let workers = workers ?? Parallel.defaultWorkers
        let pieces = Parallel.ranges(texts.count, pieces: max(1, workers) * Parallel.piecesPerWorker)
        let parts = Parallel.map(pieces.count, workers: workers) { piece -> [T] in
            var scratch = self.borrowScratch()
            defer { self.returnScratch(scratch) }
            return pieces[piece].map { transform(self.classify(texts[$0], scratch: &scratch)) }
        }
        return parts.flatMap { $0 }
    }
}
