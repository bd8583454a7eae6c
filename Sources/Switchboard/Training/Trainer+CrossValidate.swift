extension Trainer {
    /// Cross-validates on `examples`: the hyperparameter search of ``train(_:options:)``, then the held-out
    /// predictions of the chosen candidate, evaluated. (The choice itself sees every fold, so the figure is
    /// slightly optimistic; measure on a separate test set for a claim.)
    public static func crossValidate(_ examples: [LabeledExample], options: TrainingOptions) throws -> (evaluation: Evaluation, parameters: NaiveBayesParameters) {
        let report = try train(examples, options: options)
        return (report.crossValidation, report.model.metadata.parameters)
    }
}
