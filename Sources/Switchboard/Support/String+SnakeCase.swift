extension String {
    /// The name in snake_case, as every JSON the tool writes spells keys and codes: `eceBefore` is `ece_before`,
    /// and a run of capitals is one word (`sublinearTF` is `sublinear_tf`, `macroF1` `macro_f1`).
    package var snakeCased: String {
        let characters = Array(self)
        var out = ""
        for (i, character) in characters.enumerated() {
            guard character.isUppercase else { out.append(character); continue }
            if i > 0 {
                let previous = characters[i - 1]
                let nextIsLower = i + 1 < characters.count && characters[i + 1].isLowercase
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && nextIsLower) { out.append("_") }
            }
            out += character.lowercased()
        }
        return out
    }
}
