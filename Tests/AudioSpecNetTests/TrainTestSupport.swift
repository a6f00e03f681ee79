import Foundation
import XCTest
import AudioSpecNet
import _TestSupport

/// The eight committed clips (Tests/Fixtures/clips) and the ESC-50 layouts the training tests build from them.
enum TrainClips {
    /// (file, class index among the four, category)
    static let clips: [(file: String, target: Int, category: String)] = [
        ("1-30226-A-0.flac", 0, "dog"), ("1-30344-A-0.flac", 0, "dog"),
        ("1-43382-A-1.flac", 1, "rooster"), ("2-71162-A-1.flac", 1, "rooster"),
        ("1-21934-A-38.flac", 2, "clock_tick"), ("1-21935-A-38.flac", 2, "clock_tick"),
        ("1-116765-A-41.flac", 3, "chainsaw"), ("1-19898-A-41.flac", 3, "chainsaw"),
    ]

    /// Default folds: six clips train (fold 1), one validates (fold 2), one tests (fold 3).
    static let defaultFolds = [1, 1, 2, 1, 1, 3, 1, 1]

    /// An ESC-50 layout (audio/ + meta/esc50.csv) in a fresh temporary directory.
    static func makeLayout(folds: [Int] = defaultFolds, extraRows: [String] = [], label: String = "layout") throws -> String {
        let dir = Fixtures.scratchDirectory(label)
        try FileManager.default.createDirectory(atPath: dir + "/audio", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/meta", withIntermediateDirectories: true)
        var csv = "filename,fold,target,category,esc10,src_file,take\n"
        for (i, c) in clips.enumerated() {
            try FileManager.default.copyItem(atPath: Fixtures.path("clips/" + c.file), toPath: dir + "/audio/" + c.file)
            csv += "\(c.file),\(folds[i]),\(c.target),\(c.category),False,0,A\n"
        }
        for r in extraRows { csv += r + "\n" }
        try csv.write(toFile: dir + "/meta/esc50.csv", atomically: true, encoding: .utf8)
        return dir
    }

    /// Small, fast options: width 4, blocks 1-1, the real front end and recipe augmentation.
    static func smallOptions(data: String, epochs: Int = 2, batch: Int = 3) -> TrainingOptions {
        var o = TrainingOptions()
        o.dataDirectory = data
        o.testFold = 3
        o.valFold = 2
        o.epochs = epochs
        o.batchSize = batch
        o.architecture = AudioCNNConfig(width: 4, blocks: [1, 1], numClasses: 4)
        o.threads = 2
        o.seed = 7
        return o
    }

    nonisolated(unsafe) private static var cachedData: [String: TrainingData] = [:]

    /// The default layout's data, built once per test process (spectrograms are the slow part).
    static func defaultData() throws -> (layout: String, data: TrainingData) {
        if let d = cachedData["default"], let layout = cachedLayout { return (layout, d) }
        let layout = try makeLayout()
        let data = try TrainingData.load(options: smallOptions(data: layout), cacheDirectory: nil)
        cachedData["default"] = data
        cachedLayout = layout
        return (layout, data)
    }
    nonisolated(unsafe) private static var cachedLayout: String?
}

extension Trainer {
    var parameterArray: [Float] { Array(UnsafeBufferPointer(start: model.arena.parameters, count: model.arena.parameterCount)) }
    var bufferArray: [Float] { Array(UnsafeBufferPointer(start: model.arena.buffers, count: model.arena.bufferCount)) }
    var momentArrays: ([Float], [Float]) {
        (Array(UnsafeBufferPointer(start: optimizer.m, count: optimizer.count)), Array(UnsafeBufferPointer(start: optimizer.v, count: optimizer.count)))
    }
}

/// The learning-curve numbers of a history without its timings.
func curveNumbers(_ h: [EpochMetrics]) -> [[Double]] {
    h.map { [Double($0.epoch), $0.trainLoss, $0.trainAccuracy, $0.valLoss ?? .nan, $0.valAccuracy ?? .nan, $0.lr, $0.best ? 1 : 0] }
}
