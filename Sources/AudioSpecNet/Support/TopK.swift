/// The indices of the `k` largest values, largest first; equal values by the lower index, so the order is
/// the same on every run. The one ranking behind `infer`'s top-k and `eval`'s accuracy and top-5.
public func topIndices(_ values: [Float], k: Int) -> [Int] {
    Array(values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }.prefix(max(0, k)))
}

/// `topIndices(k: 1)` without sorting (the lower index on ties): the training loop's accuracy over raw
/// logit rows, and the export check's agreement. 0 for no values.
@inline(__always) public func argmax(_ p: UnsafePointer<Float>, _ n: Int) -> Int {
    var best = 0
    for j in 1..<max(1, n) where p[j] > p[best] { best = j }
    return best
}

public func argmax(_ values: [Float]) -> Int {
    values.withUnsafeBufferPointer { $0.isEmpty ? 0 : argmax($0.baseAddress!, $0.count) }
}
