import Foundation

/// Removes quoted replies and signatures from an e-mail body, keeping what the sender wrote.
///
/// The body is cut at the first line that starts quoted history or a signature:
///
/// - the signature delimiter `-- ` (or `--` alone);
/// - `On <date>, <name> wrote:` / `Le <date>, <name> a écrit :` (also wrapped over two lines);
/// - `-----Original Message-----`, `-----Message d'origine-----`, `---------- Forwarded message ---------`;
/// - an Outlook header block: `From:`/`De :` followed within four lines by `Sent:`/`Envoyé :`/`Date:`;
///   also after a `________________________________` rule;
/// - a mobile signature: `Sent from my iPhone`, `Envoyé de mon iPhone`, `Sent from Outlook for Android`, ...
///   (a line of a few words without sentence punctuation; a sentence that starts "Sent via" is kept)
///
/// Lines starting with `>` (quoted text, also inline) are removed wherever they are.
enum MailBodyCleaner {
    static func clean(_ body: String) -> String {
        let lines = body.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var kept: [String] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            if startsHistoryOrSignature(lines, at: index) { break }
            if !line.hasPrefix(">") { kept.append(line) }
            index += 1
        }
        return TextCleaning.tidyLines(kept.joined(separator: "\n"))
    }

    static let mobileSignatures = [
        "sent from my ", "envoyé de mon ", "envoyé depuis mon ", "sent from outlook", "get outlook for ", "sent from mail for ",
        "envoyé à partir de outlook", "obtenir outlook pour ", "sent from yahoo mail", "envoyé de yahoo mail", "sent via ",
    ]

    /// The starts of ``mobileSignatures`` that any words can follow.
    static let openEndedSignatures: Set<String> = ["sent from my ", "envoyé de mon ", "envoyé depuis mon ", "sent via "]

    /// What follows an open-ended start in a signature: devices, their makers, carriers and mail apps (the whole
    /// next word, or its start for names of four letters or more: "iPhone", "Galaxy", "T-Mobile", "BlueMail").
    static let signatureDevices: Set<String> = [
        "iphone", "ipad", "ipod", "apple", "android", "samsung", "galaxy", "huawei", "honor", "xiaomi", "redmi", "mi", "poco",
        "oppo", "realme", "vivo", "oneplus", "pixel", "google", "motorola", "moto", "nokia", "sony", "xperia", "lg", "htc",
        "fairphone", "wiko", "alcatel", "zte", "asus", "lenovo", "blackberry", "windows", "mobile", "phone", "smartphone",
        "tablet", "device", "watch", "verizon", "sprint", "t-mobile", "at&t", "boost", "bell", "rogers", "telus", "cricket",
        "metro", "xfinity", "orange", "sfr", "bouygues", "free", "gmail", "outlook", "yahoo", "mail", "aol", "proton",
        "bluemail", "spark", "superhuman", "edison", "airmail", "téléphone", "telephone", "portable", "tablette", "appareil",
    ]

    /// Whether `word` names a device, maker, carrier or app of ``signatureDevices``.
    static func isSignatureDevice(_ word: Substring) -> Bool {
        signatureDevices.contains(String(word)) || signatureDevices.contains { $0.count >= 4 && word.hasPrefix($0) }
    }

    static func startsHistoryOrSignature(_ lines: [String], at index: Int) -> Bool {
        let line = lines[index]
        let trimmed = TextCleaning.trimmed(line)
        let lower = trimmed.lowercased()
        if line == "-- " || line == "--" || trimmed == "--" { return true }
        if lower.hasPrefix("-----") || lower.hasPrefix("---------- "),
           ["original message", "message d'origine", "message d’origine", "forwarded message", "message transféré", "message original"]
            .contains(where: lower.contains) {
            return true
        }
        if isMobileSignature(lower) { return true }
        let next = index + 1 < lines.count ? TextCleaning.trimmed(lines[index + 1]).lowercased() : ""
        if isAttribution(lower) || (lower.hasPrefix("on ") || lower.hasPrefix("le ")) && isAttribution(lower + " " + next) { return true }
        if lower.hasPrefix("________") {
            return next.hasPrefix("from:") || next.hasPrefix("de :") || next.hasPrefix("de:")
        }
        if lower.hasPrefix("from:") || lower.hasPrefix("de :") || lower.hasPrefix("de:") {
            let following = lines[(index + 1)..<min(lines.count, index + 5)].map { TextCleaning.trimmed($0).lowercased() }
            return following.contains { $0.hasPrefix("sent:") || $0.hasPrefix("envoyé :") || $0.hasPrefix("envoyé:") || $0.hasPrefix("date:") || $0.hasPrefix("envoyé le :") }
        }
        return false
    }

    /// Whether a line (trimmed, lower case) is a mail app's signature: a known start, a few words and no
    /// sentence punctuation, so that "Sent via registered post last week, my letter..." stays the customer's.
    static func isMobileSignature(_ lower: String) -> Bool {
        guard let prefix = mobileSignatures.first(where: lower.hasPrefix) else { return false }
        // After the open-ended starts, a device, carrier or mail app must follow: "Sent via email, fax and post"
        // and "Envoyé de mon côté, le courrier" are a customer's sentences, and the body was cut there.
        if openEndedSignatures.contains(prefix) {
            let next = lower.dropFirst(prefix.count).prefix { !$0.isWhitespace && $0 != "," && $0 != "." }
            guard isSignatureDevice(next) else { return false }
        }
        var text = Substring(lower)
        // Outlook's mobile apps append a link: "Get Outlook for iOS<https://aka.ms/o0ukef>".
        if text.hasSuffix(">"), let open = text.lastIndex(of: "<") { text = text[..<open] }
        let endsWithPeriod = text.hasSuffix(".")
        if endsWithPeriod { text = text.dropLast() }
        guard text.split(whereSeparator: \.isWhitespace).count <= 8 else { return false }
        // Carriers put commas in their signatures ("Sent from my Verizon, Samsung Galaxy smartphone"); a clause
        // after a comma closed by a period ("Sent via post, no answer.") is a sentence.
        if text.contains(","), endsWithPeriod { return false }
        return !text.contains { ".;:!?()\"«»".contains($0) }
    }

    /// `On ... wrote:` or `Le ... a écrit :`.
    static func isAttribution(_ lower: String) -> Bool {
        let text = lower.replacingOccurrences(of: "\u{A0}", with: " ").replacingOccurrences(of: "\u{202F}", with: " ")
        if text.hasPrefix("on "), text.hasSuffix("wrote:") { return true }
        if text.hasPrefix("le "), text.hasSuffix("a écrit :") || text.hasSuffix("a écrit:") { return true }
        return false
    }
}
