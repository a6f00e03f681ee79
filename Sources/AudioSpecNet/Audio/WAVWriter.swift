import CSndfile
import Foundation

/// Mono 32-bit float WAV files through libsndfile: the clips `bench mpi` trains on, made on the spot.
public enum WAVWriter {
    public static func write(_ samples: [Float], sampleRate: Int, to path: String) throws {
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = 1
        info.format = Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT)
        guard let handle = sf_open(path, Int32(SFM_WRITE), &info) else {
            throw AudioSpecNetError.file(path: path, reason: "cannot be written (libsndfile: \(String(cString: sf_strerror(nil))))")
        }
        let written = samples.withUnsafeBufferPointer { sf_writef_float(handle, $0.baseAddress, sf_count_t($0.count)) }
        let reason = String(cString: sf_strerror(handle))
        guard sf_close(handle) == 0, written == samples.count else {
            throw AudioSpecNetError.file(path: path, reason: "was not written whole (libsndfile: \(reason))")
        }
    }
}
