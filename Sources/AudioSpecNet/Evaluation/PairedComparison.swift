import Foundation

/// Two evaluations of the same clips compared clip by clip (`compare`): McNemar's exact test on the clips
/// that one model gets right and the other wrong. On one test set the two accuracies share most of their
/// errors, so the paired test sees differences that two independent standard errors (≈ 2.4 points each on
/// 400 clips) hide, and says when an apparent gain is a coin toss.
public struct PairedComparison: Sendable, Equatable {
    /// The columns of `predictions.csv` (`EvalReport.predictionsCSV`).
    public static let header = ["file", "label", "predicted", "probability", "correct"]

    public let total: Int
    public let bothRight: Int, onlyA: Int, onlyB: Int, bothWrong: Int
    public var correctA: Int { bothRight + onlyA }
    public var correctB: Int { bothRight + onlyB }
    public var accuracyA: Double { total > 0 ? Double(correctA) / Double(total) : 0 }
    public var accuracyB: Double { total > 0 ? Double(correctB) / Double(total) : 0 }
    /// McNemar's exact two-sided p-value: 2·P(X ≤ min(b, c)) for X ~ Binomial(b + c, ½), at most 1
    /// (1 when no clip is discordant) — `statsmodels`' `mcnemar(exact=True)`.
    public var pValue: Double { Self.exactMcNemar(onlyA, onlyB) }

    /// Pairs `a` and `b` by clip; both must hold the same clips with the same labels. Clips are matched by
    /// path, or, where the paths differ (the data given by another path), by file name and label when those
    /// are unique on both sides. `nameA`/`nameB` name the sides in errors.
    public init(_ a: [EvalMetrics.ClipPrediction], _ b: [EvalMetrics.ClipPrediction], nameA: String = "A", nameB: String = "B") throws {
        guard !a.isEmpty else { throw AudioSpecNetError.format(path: nameA, reason: "holds no clips") }
        guard !b.isEmpty else { throw AudioSpecNetError.format(path: nameB, reason: "holds no clips") }
        guard a.count == b.count else {
            throw AudioSpecNetError.invalidArgument("\(nameA) holds \(a.count) clips and \(nameB) \(b.count): compare evaluations of the same clips")
        }
        let pairs = Self.pair(a, b, key: { $0.path })
            ?? Self.pair(a, b, key: { ($0.path as NSString).lastPathComponent + "\u{0}" + $0.label })
        guard let pairs else {
            let keys = Set(b.map(\.path))
            let missing = a.first { !keys.contains($0.path) }?.path ?? a[0].path
            throw AudioSpecNetError.invalidArgument("\(nameA) and \(nameB) are not evaluations of the same clips (\(missing) is in \(nameA) only)")
        }
        var counts = (0, 0, 0, 0)
        for (x, y) in pairs {
            guard x.label == y.label else {
                throw AudioSpecNetError.invalidArgument("\(x.path) is labelled \"\(x.label)\" in \(nameA) and \"\(y.label)\" in \(nameB)")
            }
            switch (x.correct, y.correct) {
            case (true, true): counts.0 += 1
            case (true, false): counts.1 += 1
            case (false, true): counts.2 += 1
            case (false, false): counts.3 += 1
            }
        }
        total = pairs.count
        (bothRight, onlyA, onlyB, bothWrong) = counts
    }

    /// `a`'s clips each with `b`'s of the same key, or nil when the keys are not unique or not the same set.
    private static func pair(_ a: [EvalMetrics.ClipPrediction], _ b: [EvalMetrics.ClipPrediction],
                             key: (EvalMetrics.ClipPrediction) -> String) -> [(EvalMetrics.ClipPrediction, EvalMetrics.ClipPrediction)]? {
        var byKey: [String: EvalMetrics.ClipPrediction] = [:]
        for y in b where byKey.updateValue(y, forKey: key(y)) != nil { return nil }
        var seen = Set<String>()
        var pairs: [(EvalMetrics.ClipPrediction, EvalMetrics.ClipPrediction)] = []
        for x in a {
            let k = key(x)
            guard seen.insert(k).inserted, let y = byKey[k] else { return nil }
            pairs.append((x, y))
        }
        return pairs
    }

    /// 2·Σ_{i ≤ min(b,c)} C(n, i)/2ⁿ with n = b + c, summed in log space (n may be thousands), capped at 1.
    public static func exactMcNemar(_ b: Int, _ c: Int) -> Double {
        let n = b + c, k = min(b, c)
        guard n > 0 else { return 1 }
        var logFactorial = [0.0]  // log i! for i = 0…n
        logFactorial.reserveCapacity(n + 1)
        for i in 1...n { logFactorial.append(logFactorial[i - 1] + log(Double(i))) }
        let logHalfN = Double(n) * log(0.5)
        var tail = 0.0
        for i in 0...k { tail += exp(logFactorial[n] - logFactorial[i] - logFactorial[n - i] + logHalfN) }
        return min(1, 2 * tail)
    }

    /// The clips of a `predictions.csv` that `eval --out` wrote (a folder holding one is read too). Every
    /// row is checked: a header with the five columns, a label on each row, `correct` 0 or 1 and equal to
    /// whether the prediction is the label; an error names the file and the line.
    public static func readPredictions(_ given: String) throws -> [EvalMetrics.ClipPrediction] {
        var isDirectory: ObjCBool = false
        let file = FileManager.default.fileExists(atPath: given, isDirectory: &isDirectory) && isDirectory.boolValue
            ? (given as NSString).appendingPathComponent("predictions.csv") : given
        guard FileManager.default.fileExists(atPath: file) else {
            throw AudioSpecNetError.file(path: file, reason: "does not exist (write one with `eval --out DIR`)")
        }
        let records = try CSVReader.records(ofFile: file, kind: "a predictions file")
        guard let first = records.first, first.fields == header else {
            throw AudioSpecNetError.format(path: file, reason: "is not a predictions.csv of `eval --out`: its first line must be \(header.joined(separator: ","))")
        }
        return try records.dropFirst().map { record in
            let f = record.fields
            guard f.count == header.count else {
                throw AudioSpecNetError.format(path: file, reason: "line \(record.line): \(f.count) fields, expected \(header.count)")
            }
            guard !f[0].isEmpty, !f[1].isEmpty else {
                throw AudioSpecNetError.format(path: file, reason: "line \(record.line): a row needs a file and a label")
            }
            var probability: Float?
            if !f[3].isEmpty {
                guard let p = Float(f[3]), p.isFinite, p >= 0, p <= 1 else {
                    throw AudioSpecNetError.format(path: file, reason: "line \(record.line): probability \"\(f[3])\" is not a number in [0, 1]")
                }
                probability = p
            }
            let prediction = EvalMetrics.ClipPrediction(path: f[0], label: f[1], predicted: f[2].isEmpty ? nil : f[2], probability: probability)
            guard f[4] == (prediction.correct ? "1" : "0") else {
                throw AudioSpecNetError.format(path: file, reason: "line \(record.line): correct is \"\(f[4])\" but the prediction \(prediction.correct ? "equals" : "differs from") the label")
            }
            return prediction
        }
    }
}
