import Foundation

/// How a model computes: the worker threads, the scratch memory of its convolutions, the convolution
/// policy and an optional profiler. A model is given one and passes it down to its layers and kernels on
/// every call; nothing about it is process-wide, so two models with their own contexts may run at the
/// same time in one process.
///
/// A context's workspace is used by one computation at a time (convolutions carve per-call regions out
/// of it): give each model that runs concurrently with another its own context.
public struct ComputeContext: @unchecked Sendable {
    /// Worker threads for the kernels and layers (at least 1). Results are bit-reproducible for a given count.
    public let threads: Int
    /// Scratch for every convolution run under this context, grown to the largest need.
    public let workspace: ConvolutionWorkspace
    public var convolution: ConvolutionPolicy
    /// Times named regions when set (the network benchmark's table); nil costs one branch per layer call.
    public var profiler: Profiler?

    /// `threads` defaults to every core; a fresh workspace unless one is given.
    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount, workspace: ConvolutionWorkspace = ConvolutionWorkspace(),
                convolution: ConvolutionPolicy = ConvolutionPolicy(), profiler: Profiler? = nil) {
        self.threads = max(1, threads)
        self.workspace = workspace
        self.convolution = convolution
        self.profiler = profiler
    }

    public var parallel: Parallel { Parallel(threads: threads) }

    /// Runs `body`, adding its time to the profiler under `name` when there is one.
    @inline(__always)
    public func measure<T>(_ name: @autoclosure () -> String, flops: Double = 0, _ body: () -> T) -> T {
        guard let profiler else { return body() }
        return profiler.measure(name(), flops: flops, body)
    }
}
