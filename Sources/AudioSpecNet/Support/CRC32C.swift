/// CRC-32C (Castagnoli, polynomial 0x1EDC6F41, bit-reflected 0x82F63B78), the checksum of TFRecord files.
/// Written here, table-driven one byte at a time, because no Swift package for it is available to this
/// project; the tests check it against RFC 3720's vectors (B.4). Event files are small (kilobytes per epoch),
/// so the plain table is fast enough.
public enum CRC32C {
    /// table[b]: the CRC register after shifting byte b through it.
    private static let table: [UInt32] = (0..<256).map { byte in
        var crc = UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    /// The CRC of `bytes` (initial value and final XOR 0xFFFFFFFF, as iSCSI and TFRecord use it).
    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for b in bytes { crc = t[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }

    /// TFRecord's masked CRC: rotated right by 15 bits plus a constant, so that a CRC stored inside the
    /// checksummed data does not checksum to something trivial.
    public static func masked<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        let crc = checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
