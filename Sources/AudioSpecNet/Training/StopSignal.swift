import Foundation
import Synchronization

/// A request to stop training at the next step boundary (Ctrl-C / SIGTERM, or a test). The handler only
/// sets a lock-free flag and restores the default action, so a second Ctrl-C kills the process at once
/// (checkpoints are written atomically, so even that loses at most the unsaved steps).
public enum StopSignal {
    private static let flag = Atomic<Bool>(false)

    public static var requested: Bool { flag.load(ordering: .relaxed) }
    public static func request() { flag.store(true, ordering: .relaxed) }
    public static func reset() { flag.store(false, ordering: .relaxed) }

    public static func installHandlers() {
        signal(SIGINT) { _ in
            StopSignal.request()
            signal(SIGINT, SIG_DFL)
        }
        signal(SIGTERM) { _ in
            StopSignal.request()
            signal(SIGTERM, SIG_DFL)
        }
    }
}
