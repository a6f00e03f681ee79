import CFFTW
import Foundation

/// FFTW single-precision real-to-complex plans, made once per size and shared. FFTW's planner is not
/// thread-safe, so planning happens under a lock; executing a plan with the new-array functions
/// (`fftwf_execute_dft_r2c`) is, so any number of threads may transform at once with their own buffers.
public enum FFTPlans {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var forward: [Int: OpaquePointer] = [:]

    /// The plan for a length-`n` real forward transform. Buffers passed to it must come from
    /// `FFTBuffer` (fftwf_malloc, so their alignment matches the planning buffers).
    /// FFTW_ESTIMATE: the plan does not depend on timing, so results are reproducible run to run.
    static func realForward(_ n: Int) -> OpaquePointer {
        lock.lock()
        defer { lock.unlock() }
        if let plan = forward[n] { return plan }
        let input = fftwf_alloc_real(n)!, output = fftwf_alloc_complex(n / 2 + 1)!
        defer { fftwf_free(input); fftwf_free(output) }
        let plan = fftwf_plan_dft_r2c_1d(Int32(n), input, output, UInt32(FFTW_ESTIMATE))!
        forward[n] = plan
        return plan
    }
}

/// A SIMD-aligned Float buffer from fftwf_malloc, freed with the object.
final class FFTBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    init(count: Int) {
        self.count = count
        pointer = fftwf_alloc_real(max(1, count))!
        pointer.initialize(repeating: 0, count: max(1, count))
    }
    deinit { fftwf_free(pointer) }
    /// The same memory as FFTW's interleaved complex type.
    var complex: UnsafeMutablePointer<fftwf_complex> {
        UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: fftwf_complex.self)
    }
}
