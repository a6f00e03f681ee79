import Foundation

/// The safetensors container: an 8-byte little-endian header length, a JSON header naming each tensor's
/// dtype, shape and byte range, then the raw little-endian data. Model files, checkpoints and test
/// fixtures all use it, so one reader validates everything that comes from disk.
public enum SafetensorsDType: String, Sendable {
    case f32 = "F32", f64 = "F64", f16 = "F16", i64 = "I64", i32 = "I32", u8 = "U8"
    var size: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16: return 2
        case .u8: return 1
        }
    }
}

public struct SafetensorsFile: Sendable {
    public struct Entry: Sendable {
        public let dtype: SafetensorsDType
        public let shape: [Int]
        let range: Range<Int>
        /// Elements; the reader checked that the product does not overflow.
        public var count: Int { shape.reduce(1, *) }
    }

    public let path: String
    public let metadata: [String: String]
    /// Tensor names in file order.
    public let names: [String]
    public let entries: [String: Entry]
    private let bytes: [UInt8]
    private let dataStart: Int

    static func bad(_ path: String, _ reason: String) -> AudioSpecNetError {
        .format(path: path, reason: "not a valid safetensors file: \(reason)")
    }

    /// The header length the first 8 bytes announce (little-endian); 0 for fewer than 8 bytes.
    static func headerLength(_ bytes: [UInt8]) -> Int {
        guard bytes.count >= 8 else { return 0 }
        var length = 0
        for i in 0..<8 { length |= Int(bytes[i]) << (8 * i) }
        return length
    }

    /// The JSON header of a file of `fileSize` bytes whose first bytes (at least the header) are `bytes`.
    static func header(_ bytes: [UInt8], fileSize: Int, path: String) throws -> [String: Any] {
        guard fileSize >= 8, bytes.count >= 8 else { throw bad(path, "\(fileSize) bytes, shorter than the 8-byte header length") }
        let headerLength = headerLength(bytes)
        guard headerLength > 1, headerLength <= 100_000_000, 8 + headerLength <= fileSize, 8 + headerLength <= bytes.count else {
            throw bad(path, "header length \(headerLength) does not fit a file of \(fileSize) bytes (truncated?)")
        }
        guard let json = try? JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])), let header = json as? [String: Any] else {
            throw bad(path, "header is not a JSON object")
        }
        return header
    }

    /// The `__metadata__` of a file, reading only its header: a summary line need not read the weights.
    public static func metadata(path: String) throws -> [String: String] {
        let start = try readFile(path, upTo: 8)
        let prefix = try readFile(path, upTo: 8 + min(headerLength(start), 100_000_000))
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)??.intValue ?? prefix.count
        let header = try header(prefix, fileSize: size, path: path)
        guard let meta = header["__metadata__"] else { return [:] }
        guard let pairs = meta as? [String: Any] else { throw bad(path, "__metadata__ is not an object") }
        return try pairs.mapValues { value in
            guard let text = value as? String else { throw bad(path, "a metadata value is not a string") }
            return text
        }
    }

    public init(path: String) throws {
        try self.init(bytes: try readWholeFile(path), path: path)
    }

    public init(bytes: [UInt8], path: String = "<memory>") throws {
        func bad(_ reason: String) -> AudioSpecNetError { SafetensorsFile.bad(path, reason) }
        let header = try SafetensorsFile.header(bytes, fileSize: bytes.count, path: path)
        let dataStart = 8 + SafetensorsFile.headerLength(bytes)
        let dataLength = bytes.count - dataStart
        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        var ordered: [(String, Int)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let meta = value as? [String: Any] else { throw bad("__metadata__ is not an object") }
                for (k, v) in meta {
                    guard let s = v as? String else { throw bad("metadata value for \(k) is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let info = value as? [String: Any],
                  let dtypeName = info["dtype"] as? String,
                  let shapeAny = info["shape"] as? [Any],
                  let offsetsAny = info["data_offsets"] as? [Any], offsetsAny.count == 2
            else { throw bad("entry \(name) lacks dtype, shape or data_offsets") }
            guard let dtype = SafetensorsDType(rawValue: dtypeName) else { throw bad("tensor \(name) has unsupported dtype \(dtypeName)") }
            let shape = try shapeAny.map { v -> Int in
                guard let n = exactInt(v), n >= 0 else { throw bad("tensor \(name) has a bad shape \(shapeAny)") }
                return n
            }
            let offsets = try offsetsAny.map { v -> Int in
                guard let n = exactInt(v), n >= 0 else { throw bad("tensor \(name) has bad data_offsets \(offsetsAny)") }
                return n
            }
            guard offsets[0] <= offsets[1], offsets[1] <= dataLength else {
                throw bad("tensor \(name) lies outside the file's \(dataLength) data bytes (truncated?)")
            }
            // Checked: a shape such as [2^62, 4] must be an error, not a trap.
            guard let byteCount = checkedByteCount(shape: shape, elementSize: dtype.size) else {
                throw bad("tensor \(name) has shape \(shape), whose size overflows")
            }
            guard offsets[1] - offsets[0] == byteCount else {
                throw bad("tensor \(name) has \(offsets[1] - offsets[0]) bytes for shape \(shape) of \(dtypeName)")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
            ordered.append((name, offsets[0]))
        }
        // Two tensors sharing bytes would alias each other's values: refused, as the format requires.
        // Sorted by start, each non-empty range must begin at or after the furthest end so far.
        let byStart = entries.filter { !$0.value.range.isEmpty }.sorted {
            $0.value.range.lowerBound < $1.value.range.lowerBound || ($0.value.range.lowerBound == $1.value.range.lowerBound && $0.key < $1.key)
        }
        var furthest: (name: String, range: Range<Int>)?
        for (name, entry) in byStart {
            if let f = furthest, entry.range.lowerBound < f.range.upperBound {
                throw bad("tensors \(f.name) and \(name) overlap (data_offsets \(f.range.lowerBound)..<\(f.range.upperBound) and \(entry.range.lowerBound)..<\(entry.range.upperBound))")
            }
            if entry.range.upperBound > furthest?.range.upperBound ?? -1 { furthest = (name, entry.range) }
        }
        self.path = path
        self.metadata = metadata
        self.entries = entries
        self.names = ordered.sorted { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }.map(\.0)
        self.bytes = bytes
        self.dataStart = dataStart
    }

    public func entry(_ name: String) throws -> Entry {
        guard let e = entries[name] else { throw AudioSpecNetError.format(path: path, reason: "no tensor named \(name)") }
        return e
    }

    public func shape(_ name: String) throws -> [Int] { try entry(name).shape }

    /// The tensor converted to Float (from F32, F64, F16, I64, I32 or U8).
    public func floats(_ name: String) throws -> [Float] {
        let e = try entry(name)
        if e.dtype == .f32 {
            return try [Float](unsafeUninitializedCapacity: e.count) { buffer, initialized in
                if e.count > 0 { try copyFloats(name, into: buffer.baseAddress!) }
                initialized = e.count
            }
        }
        return try doubles(name).map { Float($0) }
    }

    /// Copies an F32 tensor straight into `destination` (no intermediate array: model loading copies
    /// 85 MB once, not twice); other dtypes are converted.
    public func copyFloats(_ name: String, into destination: UnsafeMutablePointer<Float>) throws {
        let e = try entry(name)
        if e.dtype == .f32 {
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawPointer(destination).copyMemory(from: raw.baseAddress! + dataStart + e.range.lowerBound, byteCount: e.range.count)
            }
        } else if e.dtype == .f16 {
            // Half-precision model files widen to float32 here, in one pass, without a Double array.
            bytes.withUnsafeBytes { raw in
                let base = raw.baseAddress! + dataStart + e.range.lowerBound
                for i in 0..<e.count { destination[i] = float16ToFloat(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) }
            }
        } else {
            destination.update(from: try floats(name), count: e.count)
        }
    }

    /// The tensor converted to Double; fixtures computed in float64 keep their precision this way.
    public func doubles(_ name: String) throws -> [Double] {
        let e = try entry(name)
        return bytes.withUnsafeBytes { raw -> [Double] in
            let base = raw.baseAddress! + dataStart + e.range.lowerBound
            return (0..<e.count).map { i -> Double in
                switch e.dtype {
                case .f32: return Double(Float(bitPattern: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian))
                case .f64: return Double(bitPattern: base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self).littleEndian)
                case .f16: return Double(float16ToFloat(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian))
                case .i64: return Double(Int64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
                case .i32: return Double(Int32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
                case .u8: return Double(base.load(fromByteOffset: i, as: UInt8.self))
                }
            }
        }
    }

    /// Raw bytes of a tensor (for U8 payloads such as embedded audio or JSON blobs).
    public func rawBytes(_ name: String) throws -> [UInt8] {
        let e = try entry(name)
        return Array(bytes[(dataStart + e.range.lowerBound)..<(dataStart + e.range.upperBound)])
    }
}

/// Builds a safetensors file in memory; `write(to:)` lands it atomically.
public struct SafetensorsWriter {
    private var tensors: [(name: String, dtype: SafetensorsDType, shape: [Int], data: [UInt8])] = []
    public var metadata: [String: String]

    public init(metadata: [String: String] = [:]) { self.metadata = metadata }

    public mutating func add(_ name: String, shape: [Int], floats: UnsafeBufferPointer<Float>) {
        precondition(shape.reduce(1, *) == floats.count, "shape \(shape) does not hold \(floats.count) values")
        tensors.append((name, .f32, shape, [UInt8](UnsafeRawBufferPointer(floats))))
    }

    public mutating func add(_ name: String, shape: [Int], floats: [Float]) {
        floats.withUnsafeBufferPointer { add(name, shape: shape, floats: $0) }
    }

    /// An F16 tensor from binary16 bit patterns (see `HalfPrecision.bits`), stored little-endian.
    public mutating func add(_ name: String, shape: [Int], float16Bits: [UInt16]) {
        precondition(shape.reduce(1, *) == float16Bits.count, "shape \(shape) does not hold \(float16Bits.count) values")
        tensors.append((name, .f16, shape, float16Bits.map(\.littleEndian).withUnsafeBytes { [UInt8]($0) }))
    }

    public mutating func add(_ name: String, shape: [Int], int64s: [Int64]) {
        precondition(shape.reduce(1, *) == int64s.count)
        tensors.append((name, .i64, shape, int64s.withUnsafeBytes { [UInt8]($0) }))
    }

    public mutating func add(_ name: String, bytes: [UInt8]) {
        tensors.append((name, .u8, [bytes.count], bytes))
    }

    public func serialized() -> [UInt8] {
        var header: [String: Any] = [:]
        var offset = 0
        for t in tensors {
            header[t.name] = ["dtype": t.dtype.rawValue, "shape": t.shape, "data_offsets": [offset, offset + t.data.count]] as [String: Any]
            offset += t.data.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data("{}".utf8)
        // Pad with spaces so the data section starts 8-byte aligned, as the format recommends.
        while (json.count % 8) != 0 { json.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + json.count + offset)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        for t in tensors { out.append(contentsOf: t.data) }
        return out
    }

    public func write(to path: String) throws {
        try AtomicFile.write(serialized(), to: path)
    }
}

/// A JSON number as an Int only when it is one exactly (no truncated 1.5, no wrapped 2^64).
private func exactInt(_ value: Any) -> Int? {
    guard let number = value as? NSNumber else { return nil }
    let d = number.doubleValue
    guard d.isFinite, d == d.rounded(), abs(d) < 0x1p63 else { return nil }
    let i = number.int64Value
    return Double(i) == d ? Int(i) : nil
}

/// Bytes of a tensor of `shape`, or nil when the product overflows.
func checkedByteCount(shape: [Int], elementSize: Int) -> Int? {
    var total = elementSize
    for n in shape {
        let (p, overflow) = total.multipliedReportingOverflow(by: n)
        if overflow { return nil }
        total = p
    }
    return total
}

func float16ToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = Int((h >> 10) & 0x1F)
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0 {
        let value = Float(mantissa) * 0x1p-24  // subnormal: mantissa × 2⁻²⁴
        return sign != 0 ? -value : value
    }
    if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
    return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | (mantissa << 13))
}

/// The whole file in one read into one array; errors name the file and say why in words.
func readWholeFile(_ path: String) throws -> [UInt8] { try readFile(path, upTo: Int.max) }

/// The file's first `limit` bytes (all of it when shorter), after refusing directories and special files.
func readFile(_ path: String, upTo limit: Int) throws -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else {
        let reason = errno == ENOENT ? "no such file" : errno == EACCES ? "permission denied" : errnoText()
        throw AudioSpecNetError.file(path: path, reason: reason)
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw AudioSpecNetError.file(path: path, reason: errnoText()) }
    if (info.st_mode & S_IFMT) == S_IFDIR { throw AudioSpecNetError.file(path: path, reason: "is a directory") }
    guard (info.st_mode & S_IFMT) == S_IFREG else { throw AudioSpecNetError.file(path: path, reason: "not a regular file") }
    let size = min(Int(info.st_size), max(limit, 0))
    var failure: String?
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
        var done = 0
        while done < size {
            let n = read(fd, buffer.baseAddress! + done, size - done)
            if n < 0 { if errno == EINTR { continue }; failure = errnoText(); break }
            if n == 0 { break }
            done += n
        }
        initialized = done
    }
    if let failure { throw AudioSpecNetError.file(path: path, reason: "cannot read (\(failure))") }
    return bytes
}
