import Foundation

/// A contiguous Float32 array with a shape, in NCHW order for images. It is a class over one aligned
/// allocation, so hot loops get a stable pointer and no copy-on-write ever happens behind their back.
/// A tensor either owns its memory or views memory owned by something else (an arena slice).
public final class Tensor {
    public private(set) var shape: [Int]
    public private(set) var count: Int
    public private(set) var data: UnsafeMutablePointer<Float>
    /// Elements allocated; `reshape` may use fewer without reallocating.
    public private(set) var capacity: Int
    private let owned: Bool

    /// Zero-filled, 64-byte aligned (a cache line, and what AVX-512 loads like).
    public init(shape: [Int]) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.capacity = count
        self.data = Tensor.allocate(count)
        self.owned = true
    }

    public convenience init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "Tensor: \(values.count) values for shape \(shape)")
        self.init(shape: shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }

    /// A view of memory owned elsewhere; the owner must outlive the view.
    public init(viewing pointer: UnsafeMutablePointer<Float>, shape: [Int]) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.capacity = count
        self.data = pointer
        self.owned = false
    }

    deinit { if owned { free(data) } }

    /// Changes the shape, growing the allocation only when the new shape needs more elements (a smaller
    /// last batch reuses the buffer). Contents are unspecified afterwards.
    public func reshape(_ newShape: [Int]) {
        let newCount = newShape.reduce(1, *)
        if newCount > capacity {
            precondition(owned, "Tensor: cannot grow a view")
            free(data)
            data = Tensor.allocate(newCount)
            capacity = newCount
        }
        shape = newShape
        count = newCount
    }

    public var array: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }
    public func zero() { data.update(repeating: 0, count: count) }

    /// Bytes held by all live owned tensors' allocations are what peak RSS measures; nothing else to track.
    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, max(1, count) * MemoryLayout<Float>.stride) == 0, let raw else {
            fatalError("Tensor: out of memory allocating \(count) floats")
        }
        let pointer = raw.bindMemory(to: Float.self, capacity: max(1, count))
        pointer.initialize(repeating: 0, count: max(1, count))
        return pointer
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor\(shape)" }
}
