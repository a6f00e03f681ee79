import AudioSpecNet
import XCTest

final class AudioClipTests: XCTestCase {
    func testRecipeClipIsFiveSeconds() {
        XCTAssertEqual(Clip(config: .recipe).sampleCount, 110_250)
        XCTAssertEqual(FrontEndConfig.recipe.clipFrames, 216)
    }

    func testFitPadsAtTheEndAndCrops() {
        let clip = Clip(seconds: 1, sampleRate: 4)
        XCTAssertEqual(clip.fit([1, 2]), [1, 2, 0, 0])
        XCTAssertEqual(clip.fit([1, 2, 3, 4, 5, 6]), [1, 2, 3, 4])
        XCTAssertEqual(clip.fit([1, 2, 3, 4, 5, 6], start: 3), [4, 5, 6, 0])
        XCTAssertEqual(clip.fit([1, 2], start: 9), [0, 0, 0, 0])
        XCTAssertEqual(clip.maxStart(totalSamples: 6), 2)
        XCTAssertEqual(clip.maxStart(totalSamples: 3), 0)
    }

    func testWindowsCoverLongAudioWithLastOnePadded() {
        let clip = Clip(seconds: 1, sampleRate: 4)
        let samples: [Float] = (1...10).map(Float.init)
        XCTAssertEqual(clip.windowStarts(totalSamples: 10, hopSeconds: 0.5), [0, 2, 4, 6])
        XCTAssertEqual(clip.windows(samples, hopSeconds: 0.5).last, [7, 8, 9, 10])
        XCTAssertEqual(clip.windowStarts(totalSamples: 10, hopSeconds: 1), [0, 4, 8])
        XCTAssertEqual(clip.windows(samples, hopSeconds: 1).last, [9, 10, 0, 0])
        XCTAssertEqual(clip.windowStarts(totalSamples: 3, hopSeconds: 1), [0])
    }
}
