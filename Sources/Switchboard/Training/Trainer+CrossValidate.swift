extension Trainer {
    /// Cross-validates on `examples`: the hyperparameter search of ``train(_:options:)``, then the held-out
    /// predictions of the chosen candidate, evaluated. (The choice itself sees every fold, so the figure is
    /// slightly optimistic; measure on a separate test set for a claim.)
    ///
    /// `folds` is the number of folds used: fewer than asked when the largest label has fewer examples; `warnings`
    /// are training's (labels with fewer examples than folds...).
    public static func crossValidate(_ examples: [LabeledExample], options: TrainingOptions) throws
        -> (evaluation: Evaluation, parameters: NaiveBayesParameters, folds: Int, warnings: [String]) {
        let report = try train(examples, options: options)
        return (report.crossValidation, report.model.metadata.parameters,
                report.model.metadata.training.crossValidation?.folds ?? options.folds, report.warnings)
    }
}
