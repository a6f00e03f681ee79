import COpenBLAS
import Foundation

/// The CPU a benchmark ran on and what of it the code used: the model name, whether it has AVX2, FMA and
/// AVX-512 (from /proc/cpuinfo), and the kernel set OpenBLAS picked for it at load time (its sgemm is the
/// convolutions' engine). The Swift kernels are built for the baseline x86-64 target, so no CPU feature is
/// required anywhere: the same binary runs with or without AVX-512, and this names what was there.
public struct CPUDescription: Codable, Sendable {
    public var model: String
    public var features: [String]
    public var openBLASCore: String

    public init(model: String, features: [String], openBLASCore: String) {
        self.model = model
        self.features = features
        self.openBLASCore = openBLASCore
    }

    enum CodingKeys: String, CodingKey {
        case model, features
        case openBLASCore = "openblas_core"
    }

    public static func current() -> CPUDescription {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        func field(_ name: String) -> String? {
            info.split(separator: "\n").first { $0.hasPrefix(name) }
                .flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let flags = Set((field("flags") ?? "").split(separator: " ").map(String.init))
        let features = ["avx2", "fma", "avx512f"].filter(flags.contains)
        let core = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
        return CPUDescription(model: field("model name") ?? "unknown CPU", features: features, openBLASCore: core)
    }

    /// "AMD EPYC 7B12 (avx2 fma, no avx512f); OpenBLAS Zen kernels"
    public var summary: String {
        let absent = ["avx2", "fma", "avx512f"].filter { !features.contains($0) }
        let have = features.isEmpty ? "none of avx2 fma avx512f" : features.joined(separator: " ")
        return "\(model) (\(have)\(absent.isEmpty ? "" : ", no " + absent.joined(separator: " "))); OpenBLAS \(openBLASCore) kernels"
    }
}
