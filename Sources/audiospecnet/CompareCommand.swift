import ArgumentParser
import AudioSpecNet
import Foundation

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two models on the same clips, clip by clip: McNemar's exact test on their disagreements.",
        discussion: """
        A and B are the predictions.csv files that `eval --out DIR` writes (or those DIRs). Both must hold the \
        same clips with the same labels (matched by path, or by file name and label). Prints each accuracy, the \
        clips both get right, A alone, B alone and neither, and the exact two-sided McNemar p-value of the \
        difference: the paired test for two models scored on one test set, far sharper than two accuracies' \
        separate error bars. Exit status 0, or 2 when the files cannot be read or do not pair.
        """)

    @Argument(help: ArgumentHelp("The first evaluation: predictions.csv, or the eval --out folder holding it.", valueName: "A"),
              completion: .file())
    var a: String

    @Argument(help: ArgumentHelp("The second evaluation, of the same clips.", valueName: "B"), completion: .file())
    var b: String

    @OptionGroup var format: JSONOptions

    func run() throws {
        let comparison = try PairedComparison(PairedComparison.readPredictions(a), PairedComparison.readPredictions(b), nameA: a, nameB: b)
        let c = comparison, delta = 100 * (c.accuracyA - c.accuracyB), p = c.pValue
        if format.json {
            print(JSONText.object([
                ("a", JSONText.string(a)), ("b", JSONText.string(b)), ("clips", String(c.total)),
                ("accuracy_a", JSONText.number(c.accuracyA)), ("accuracy_b", JSONText.number(c.accuracyB)),
                ("both_right", String(c.bothRight)), ("only_a", String(c.onlyA)), ("only_b", String(c.onlyB)),
                ("both_wrong", String(c.bothWrong)), ("mcnemar_exact_p", JSONText.number(p)),
            ]))
            return
        }
        print(String(format: "A  accuracy %.4f (%d/%d)  ", c.accuracyA, c.correctA, c.total) + a)
        print(String(format: "B  accuracy %.4f (%d/%d)  ", c.accuracyB, c.correctB, c.total) + b)
        print("both right \(c.bothRight) · A alone \(c.onlyA) · B alone \(c.onlyB) · neither \(c.bothWrong)")
        let verdict = p < 0.05 ? "a difference at the 5 % level" : "not a difference at the 5 % level"
        print(String(format: "A − B = %+.2f points; McNemar exact two-sided p = %.4g (%d against %d clips): ",
                     delta, p, c.onlyA, c.onlyB) + verdict)
    }
}
