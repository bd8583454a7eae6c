extension NaiveBayesModel {
    /// Classifies many texts on every core; results in input order.
    public func classifyBatch(_ texts: [String], workers: Int? = nil) -> [Classification] {
        let workers = workers ?? Parallel.defaultWorkers
        let pieces = Parallel.ranges(texts.count, pieces: max(1, workers) * 4)
        let parts = Parallel.map(pieces.count, workers: workers) { piece -> [Classification] in
            var scratch = self.makeScratch()
            return pieces[piece].map { self.classify(texts[$0], scratch: &scratch) }
        }
        return parts.flatMap { $0 }
    }
}
