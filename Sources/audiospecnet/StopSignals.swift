import AudioSpecNet
import Dispatch
import Foundation

/// Ctrl-C and SIGTERM (a scheduler's pre-emption) turned into a `Cancellation` of the run: the trainer then
/// saves at the next step boundary. A second signal ends the process at once (checkpoints are written
/// atomically, so even that loses only the unsaved steps).
///
/// The signals reach dispatch sources rather than a C handler, so nothing but the sources (owned by the
/// command that runs) holds the cancellation; keep the value alive while the work runs.
final class StopSignals {
    private let sources: [DispatchSourceSignal]

    init(cancelling cancellation: Cancellation) {
        let queue = DispatchQueue(label: "audiospecnet.stop-signals")
        sources = [SIGINT, SIGTERM].map { signo in
            signal(signo, SIG_IGN)  // delivered to the source instead of ending the process
            let source = DispatchSource.makeSignalSource(signal: signo, queue: queue)
            source.setEventHandler {
                if cancellation.isCancelled { _exit(128 + signo) }
                cancellation.cancel()
            }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
        for signo in [SIGINT, SIGTERM] { signal(signo, SIG_DFL) }
    }
}
