/// The indices of the `k` largest values, largest first; equal values by the lower index, so the order is
/// the same on every run. The one ranking behind `infer`'s top-k and `eval`'s accuracy and top-5.
public func topIndices(_ values: [Float], k: Int) -> [Int] {
    Array(values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }.prefix(max(0, k)))
}
