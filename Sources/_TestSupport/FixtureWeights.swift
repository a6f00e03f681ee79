import Foundation
import AudioSpecNet

/// The integer-hash weights of Scripts/fixtures/network.py (see its docstring): both sides compute them
/// bit for bit, so the width-64 model's 85 MB of weights need not be committed.
public enum FixtureWeights {
    public static func values(count: Int, seed: Int, bound: Double) -> [Float] {
        (0..<count).map { i in
            let u = (UInt64(i) &* 2_654_435_761 &+ UInt64(seed) &* 40503 &+ 12345) & 0xFFFF_FFFF
            return Float((Double(u) / 4_294_967_296.0 - 0.5) * 2.0 * bound)
        }
    }

    /// Fills every state_dict entry of the model by the formula (entry t uses seed t).
    public static func fill(_ model: AudioCNN) {
        let arena = model.arena
        for (t, e) in arena.entries.enumerated() {
            let leaf = e.name.split(separator: ".").last!
            if e.kind == .counter { arena.counters[e.offset] = 0; continue }
            let p = arena.pointer(e.name)
            var v: [Float]
            if leaf == "weight" && e.shape.count >= 2 {
                v = values(count: e.count, seed: t, bound: 1.0 / Double(e.shape.dropFirst().reduce(1, *)).squareRoot())
            } else if e.name == "fc.bias" {
                v = values(count: e.count, seed: t, bound: 1.0 / Double(model.fc.inFeatures).squareRoot())
            } else if leaf == "weight" || leaf == "running_var" {
                v = values(count: e.count, seed: t, bound: leaf == "weight" ? 0.2 : 0.5).map { Float(1) + $0 }
            } else {
                v = values(count: e.count, seed: t, bound: 0.2)
            }
            p.update(from: v, count: e.count)
        }
    }
}
