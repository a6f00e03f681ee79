import XCTest
import AudioSpecNet
import _TestSupport

/// Data-parallel training (docs/distributed.md): the launcher's environment, what a rank refuses, each
/// rank's slice of a batch against one process's, and real `mpirun -np 2` runs (skipped without Open MPI).
final class DistributedTests: XCTestCase {
    /// A group of `size` that must never reach a collective (the refusals happen before any).
    final class NoCollectives: ProcessGroup {
        let rank: Int, size: Int
        init(rank: Int = 0, size: Int) { self.rank = rank; self.size = size }
        func allreduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) { XCTFail("collective reached") }
        func allreduceSum(_ values: UnsafeMutablePointer<Double>, count: Int) { XCTFail("collective reached") }
        func allreduceMinMax(_ value: Int64) -> (min: Int64, max: Int64) { XCTFail("collective reached"); return (value, value) }
        func broadcast(_ values: UnsafeMutablePointer<Float>, count: Int, root: Int) { XCTFail("collective reached") }
    }

    func testTheLauncherEnvironmentDecidesAndAMissingLibraryIsOneLine() throws {
        XCTAssertNil(Launcher.announcedSize([:]))
        XCTAssertEqual(Launcher.announcedSize(["OMPI_COMM_WORLD_SIZE": "4"]), 4)
        XCTAssertEqual(Launcher.announcedSize(["PMI_SIZE": "3"]), 3)
        XCTAssertEqual(Launcher.announcedSize(["PMIX_RANK": "0", "SLURM_NTASKS": "2"]), 2)
        XCTAssertEqual(Launcher.announcedSize(["PMIX_RANK": "0"]), 0, "an unknown size is not one process")
        XCTAssertEqual(try Launcher.processGroup([:]).size, 1)
        XCTAssertEqual(try Launcher.processGroup(["SLURM_NTASKS": "2"]).size, 1, "an sbatch shell of 2 tasks is one process")
        XCTAssertEqual(try Launcher.processGroup(["SLURM_STEP_NUM_TASKS": "1"]).size, 1, "srun -n 1")
        XCTAssertThrowsError(try Launcher.processGroup(["SLURM_STEP_NUM_TASKS": "2", "SLURM_NTASKS": "2"], libraries: ["libmpi-absent.so.99"])) {
            XCTAssertTrue("\($0)".contains("srun started 2 tasks without an MPI plugin"), "\($0)")
        }
        XCTAssertEqual(try Launcher.processGroup(["OMPI_COMM_WORLD_SIZE": "1"], libraries: ["libmpi-absent.so.99"]).size, 1,
                       "mpirun -np 1 trains as one process without loading MPI")
        XCTAssertThrowsError(try Launcher.processGroup(["OMPI_COMM_WORLD_SIZE": "2"], libraries: ["libmpi-absent.so.99", "libmpi-absent.so"])) {
            let text = "\($0)"
            XCTAssertTrue(text.contains("libmpi-absent.so.99") && text.contains("libmpi-absent.so ("), text)
            XCTAssertFalse(text.contains("\n"), "one line: \(text)")
        }
    }

    func testWorldSizeJoinsTheIdentityAndABatchTheRanksCannotSplitIsRefused() throws {
        var two = TrainingOptions()
        two.worldSize = 2
        let one = TrainingOptions()
        XCTAssertNil(one.firstDifference(from: TrainingOptions()))
        let d = try XCTUnwrap(one.firstDifference(from: two))
        XCTAssertEqual([d.key, d.saved, d.now], ["world-size", "2", "1"])

        let (layout, data) = try TrainClips.defaultData()
        let options = TrainClips.smallOptions(data: layout, batch: 3)
        XCTAssertThrowsError(try Trainer(options: options, data: data, outputDirectory: Fixtures.scratchDirectory("odd-batch"), group: NoCollectives(size: 2))) {
            XCTAssertTrue("\($0)".contains("--batch-size 3 does not split among 2 ranks"), "\($0)")
        }
        var even = options
        even.batchSize = 4
        let t = try Trainer(options: even, data: data, outputDirectory: Fixtures.scratchDirectory("even-batch"), group: NoCollectives(size: 2))
        XCTAssertEqual(t.options.worldSize, 2)
        XCTAssertEqual(t.stepsPerEpoch, 2, "the batch is global: the steps per epoch do not depend on the ranks")
    }

    /// Rank r of N builds positions r, r+N, … of the batch one process builds, bit for bit: the time shift,
    /// gain, SpecAugment masks, mixup's λ and partners (a partner from another rank's slice included).
    func testEachRankBuildsItsSliceOfOneProcessBatch() throws {
        let (layout, recipeData) = try TrainClips.defaultData()
        var options = TrainClips.smallOptions(data: layout, batch: 4)
        options.mixup.probability = 1
        options.timeShift = TimeShift(maxSeconds: 1)
        options.gain = RandomGain(lowDB: -6, highDB: 6)
        options.prefetch = false
        // and the waveform levers: mixing the sounds, noise on half the clips
        var sounds = options
        sounds.mixupDomain = .waveform
        sounds.noise = NoiseAugmentation(lowDB: 0, highDB: 20, probability: 0.5)
        for (options, data) in [(options, recipeData), (sounds, try TrainingData.load(options: sounds, cacheDirectory: nil))] {
            let order = SeedDerivation.shuffle(count: data.train.count, seed: options.seed, epoch: 3)
            let per = data.store.valuesPerClip, classes = data.classes.count
            let whole = BatchAssembler(data: data, options: options)
            for ranks in [2, 4] {
                let slices = (0..<ranks).map { BatchAssembler(data: data, options: options, rank: $0, ranks: ranks) }
                for step in 0..<whole.steps(perEpoch: data.train.count) {
                    let one = whole.batch(order: order, epoch: 3, step: step, prefetchNext: nil)
                    XCTAssertTrue(one.mixed)
                    var seen = 0
                    for (r, assembler) in slices.enumerated() {
                        let part = assembler.batch(order: order, epoch: 3, step: step, prefetchNext: nil)
                        XCTAssertEqual(part.globalCount, one.count)
                        for i in 0..<part.count {
                            let j = r + i * ranks
                            XCTAssertEqual(part.labels[i], one.labels[j])
                            XCTAssertEqual(Array(UnsafeBufferPointer(start: part.input.data + i * per, count: per)),
                                           Array(UnsafeBufferPointer(start: one.input.data + j * per, count: per)),
                                           "\(options.mixupDomain == .waveform ? "waveform levers, " : "")N \(ranks) step \(step) rank \(r) clip \(i)")
                            XCTAssertEqual(Array(UnsafeBufferPointer(start: part.targets.data + i * classes, count: classes)),
                                           Array(UnsafeBufferPointer(start: one.targets.data + j * classes, count: classes)))
                        }
                        seen += part.count
                    }
                    XCTAssertEqual(seen, one.count, "every clip of the batch on exactly one rank")
                }
            }
        }
    }

    // MARK: - mpirun

    static let mpirun: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// `mpirun -np ranks audiospecnet arguments…` as root in a container is allowed, on however few cores.
    private func startMPI(_ ranks: Int, _ arguments: [String]) throws -> CLI.Running {
        guard let mpirun = Self.mpirun else {
            throw XCTSkip("mpirun not found on PATH: the data-parallel tests need Open MPI (Debian: openmpi-bin libopenmpi-dev)")
        }
        guard FileManager.default.isExecutableFile(atPath: CLI.binaryPath) else {
            throw XCTSkip("audiospecnet executable not found at \(CLI.binaryPath); run `swift build -c release` first")
        }
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1)
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1)
        setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 1)
        return try CLI.start(["-np", "\(ranks)", "--oversubscribe", "--bind-to", "none", CLI.binaryPath] + arguments,
                             executable: mpirun)
    }

    private func mpirun(_ ranks: Int, _ arguments: [String]) throws -> CLI.Result {
        try startMPI(ranks, arguments).wait(timeout: 300)
    }

    /// The processes whose parent is `pid` (mpirun's ranks on this machine), from /proc.
    private func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { child in
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == pid
        }.sorted()
    }

    private func train(_ layout: String, _ out: String, batch: Int = 4, epochs: Int = 2, extra: [String] = []) -> [String] {
        ["train", "--data", layout, "--test-fold", "3", "--val-fold", "2", "--epochs", "\(epochs)", "--batch-size", "\(batch)",
         "--width", "4", "--threads", "1", "--seed", "5", "--out", out, "--cache", "none"] + extra
    }

    func testTwoRanksTrainRankZeroWritesAndAnotherWorldSizeCannotResume() throws {
        let layout = try TrainClips.makeLayout(label: "mpi")
        let out = Fixtures.scratchDirectory("mpi-run")
        let r = try mpirun(2, train(layout, out))
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual(r.stdout.components(separatedBy: "epoch   1/2").count - 1, 1, "rank 0 alone reports: \(r.stdout)")
        XCTAssertTrue(r.stdout.contains("2 ranks × 2 clips per step"), r.stdout)
        let config = try String(contentsOfFile: out + "/config.json", encoding: .utf8)
        XCTAssertTrue(config.contains("\"world_size\" : 2"), config)
        XCTAssertNotNil(FileManager.default.contents(atPath: out + "/summary.json"))
        let alone = try CLI.run(train(layout, out, extra: ["--resume"]))
        XCTAssertEqual(alone.status, 2, "\(alone)")
        XCTAssertTrue(alone.stderr.contains("`world-size` was 2 in that run and is 1 now"), alone.stderr)
        let odd = try mpirun(2, train(layout, Fixtures.scratchDirectory("mpi-odd"), batch: 3))
        XCTAssertNotEqual(odd.status, 0)
        XCTAssertTrue(odd.stderr.contains("--batch-size 3 does not split among 2 ranks"), odd.stderr)
    }

    /// The issue's equivalence: `mpirun -np 2 … --sync-bn` against one process with the same global batch,
    /// default augmentation (SpecAugment, mixup) and dropout, width 8, all eight clips in training, global
    /// batch 8. The draws are the same clip for clip; what differs is rounding: a rank's GEMMs have half the
    /// columns (OpenBLAS rounds a column differently with the column count), the batch sums run in another
    /// order, and the convolution policy may pick another algorithm for 4 clips than for 8. Two runs:
    /// - one epoch, whose only step has the schedule's last rate (8e-9): the weights barely move, so it checks
    ///   the forward (the running statistics, within 1e-5; measured 2.8e-7) and, through AdamW's first moment
    ///   (0.1 × the gradient), every parameter's gradient: each tensor's within 1e-4 relative (measured worst
    ///   5.1e-6, `conv1.1.weight`);
    /// - two epochs, whose first step has rate 1.2e-3: AdamW's first update is lr·g/(|g| + 1e-8), so the one
    ///   weight whose gradient nearly cancels (|g| ≈ 1e-8 against a median of 3e-3) moves by a fraction of a
    ///   step that rounding decides; that weight alone puts its tensor 1.4e-4 apart (`layer4.1.conv1.weight`).
    ///   One process with 2 threads against 1 thread measured the same 1.4e-4 (same weight), so the issue's
    ///   1e-4 is below what one process guarantees itself; the bar is 1e-3.
    /// The per-epoch training losses agree to 1e-5 relative.
    func testTwoRanksWithSyncBNEqualOneProcessWithTheWholeBatch() throws {
        let layout = try TrainClips.makeLayout(label: "mpi-equal")
        for (epochs, bar) in [(1, 1e-5), (2, 1e-3)] {
            let args = { (out: String) in
                ["train", "--data", layout, "--test-fold", "none", "--val-fold", "none", "--epochs", "\(epochs)", "--batch-size", "8",
                 "--width", "8", "--threads", "1", "--seed", "11", "--out", out, "--cache", "none", "--sync-bn"]
            }
            let two = Fixtures.scratchDirectory("mpi-equal-2-\(epochs)"), one = Fixtures.scratchDirectory("mpi-equal-1-\(epochs)")
            let r2 = try mpirun(2, args(two))
            XCTAssertEqual(r2.status, 0, "\(r2)")
            let r1 = try CLI.run(args(one))
            XCTAssertEqual(r1.status, 0, "\(r1)")
            let worst = try assertModelsAgree(two, one, bar: bar, after: "after \(epochs) epoch(s), ")
            print("2 ranks --sync-bn vs 1 process after \(epochs) epoch(s): worst relative difference \(worst)")
            if epochs == 1 {
                let gradients = try assertFirstMomentsAgree(two, one, architecture: AudioCNNConfig(width: 8, numClasses: 4), bar: 1e-4)
                print("2 ranks --sync-bn vs 1 process, the first step's gradients: worst relative difference \(gradients)")
            }
            // the training curves too (train loss per epoch, from rank 0's metrics)
            func losses(_ dir: String) throws -> [Double] {
                try String(contentsOfFile: dir + "/metrics.csv", encoding: .utf8).split(separator: "\n").dropFirst()
                    .map { Double($0.split(separator: ",")[1])! }
            }
            let l2 = try losses(two), l1 = try losses(one)
            XCTAssertEqual(l2.count, epochs)
            for (x, y) in zip(l2, l1) { XCTAssertEqual(x, y, accuracy: 1e-5 * abs(y), "train loss per epoch: \(l2) vs \(l1)") }
        }
    }

    /// Without `--sync-bn` each rank normalises with its own clips' statistics (DDP's BatchNorm): a different
    /// computation from one process with the whole batch, so only the first step's loss is held to a tolerance —
    /// 2 % relative (measured 0.8 % on these 8 clips, global batch 8, width 8); after it the runs part (on 8 clips
    /// the epoch losses differed by up to 30 % by epoch 2: two different trainings, not rounding).
    func testWithoutSyncBNTheFirstLossIsCloseToOneProcess() throws {
        let layout = try TrainClips.makeLayout(label: "mpi-local-bn")
        let args = { (out: String) in
            ["train", "--data", layout, "--test-fold", "none", "--val-fold", "none", "--epochs", "1", "--batch-size", "8",
             "--width", "8", "--threads", "1", "--seed", "11", "--out", out, "--cache", "none"]
        }
        let two = Fixtures.scratchDirectory("mpi-local-bn-2"), one = Fixtures.scratchDirectory("mpi-local-bn-1")
        let r2 = try mpirun(2, args(two))
        XCTAssertEqual(r2.status, 0, "\(r2)")
        let r1 = try CLI.run(args(one))
        XCTAssertEqual(r1.status, 0, "\(r1)")
        func loss(_ dir: String) throws -> Double {
            let rows = try String(contentsOfFile: dir + "/metrics.csv", encoding: .utf8).split(separator: "\n")
            return Double(rows[1].split(separator: ",")[1])!
        }
        let l2 = try loss(two), l1 = try loss(one)
        XCTAssertEqual(l2, l1, accuracy: 0.02 * l1, "first-step loss, 2 ranks with per-rank BatchNorm vs 1 process")
        print("2 ranks without --sync-bn vs 1 process: first-step loss \(l2) vs \(l1) (\(abs(l2 - l1) / l1 * 100) %)")
    }

    /// `bench mpi`: both sides run (2 ranks under mpirun, one process with 2 threads) on the clips it makes,
    /// and each reports a positive samples/s for the timed epoch; the text table names both and their ratio.
    func testBenchMPIReportsRanksAgainstOneProcess() throws {
        guard let mpirun = Self.mpirun else { throw XCTSkip("mpirun not found on PATH") }
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1)
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1)
        setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 1)
        let small = ["bench", "mpi", "--ranks", "2", "--threads", "1", "--batch-size", "4", "--steps", "2", "--epochs", "2",
                     "--width", "4", "--sample-rate", "8000", "--mpirun", mpirun, "--mpirun-arg=--oversubscribe"]
        let json = try CLI.run(small + ["--json"])
        XCTAssertEqual(json.status, 0, "\(json)")
        let rows = json.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(rows.count, 2, json.stdout)
        XCTAssertEqual(rows.compactMap { $0["ranks"] as? Int }, [2, 1])
        XCTAssertEqual(rows.compactMap { $0["threads_per_rank"] as? Int }, [1, 2])
        for row in rows { XCTAssertGreaterThan(row["samples_per_s"] as? Double ?? 0, 0, "\(row)") }
        let text = try CLI.run(small)
        XCTAssertEqual(text.status, 0, "\(text)")
        XCTAssertTrue(text.stdout.contains("2 ranks × 1 thread(s), mpirun"), text.stdout)
        XCTAssertTrue(text.stdout.contains("1 process × 2 threads"), text.stdout)
        XCTAssertTrue(text.stdout.contains("ratio (ranks / one process)"), text.stdout)
        let odd = try CLI.run(["bench", "mpi", "--ranks", "2", "--batch-size", "5"])
        XCTAssertNotEqual(odd.status, 0)
        XCTAssertTrue(odd.stderr.contains("--batch-size 5 does not split among 2 ranks"), odd.stderr)
    }

    /// `--average-last 1` under 2 ranks with `--sync-bn`: rank 0 alone recomputes the average's BatchNorm
    /// statistics (the reductions detached, or it would wait for ever) and its model equals one process's to the
    /// same bar as above. `--average-lr none` keeps the schedule above: with a constant tail of 2e-4 the ranks'
    /// rounding flips the sign of near-zero gradients, which AdamW's first steps follow (BatchNorm biases then
    /// differed by 0.6 % relative: rounding, not the average).
    func testTwoRanksAverageTheWeightsAsOneProcess() throws {
        let layout = try TrainClips.makeLayout(label: "mpi-swa")
        let args = { (out: String) in
            ["train", "--data", layout, "--test-fold", "none", "--val-fold", "none", "--epochs", "2", "--batch-size", "8",
             "--width", "8", "--threads", "1", "--seed", "11", "--out", out, "--cache", "none", "--sync-bn", "--average-last", "1", "--average-lr", "none"]
        }
        let two = Fixtures.scratchDirectory("mpi-swa-2"), one = Fixtures.scratchDirectory("mpi-swa-1")
        let r2 = try mpirun(2, args(two))
        XCTAssertEqual(r2.status, 0, "\(r2)")
        let r1 = try CLI.run(args(one))
        XCTAssertEqual(r1.status, 0, "\(r1)")
        XCTAssertTrue(r2.stdout.contains("averaged model: epochs 2–2"), r2.stdout)
        print("2 ranks --average-last vs 1 process: worst relative difference \(try assertModelsAgree(two, one))")
    }

    /// ‖a − b‖ / ‖b‖ in double precision (a zero b counts as a norm of 1e-30).
    private func relativeDifference(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        var diff = 0.0, norm = 0.0
        for (x, y) in zip(a, b) { diff += Double(x - y) * Double(x - y); norm += Double(y) * Double(y) }
        return diff.squareRoot() / max(norm.squareRoot(), 1e-30)
    }

    /// Every parameter's slice of AdamW's first moment in two runs' last.safetensors within `bar` relative
    /// (‖a − b‖ / ‖b‖); after one step it is 0.1 × the gradient. Returns the worst.
    private func assertFirstMomentsAgree(_ two: String, _ one: String, architecture: AudioCNNConfig, bar: Double) throws -> Double {
        let key = "__checkpoint__.adamw.m"
        let x = try SafetensorsFile(path: two + "/last.safetensors").floats(key), y = try SafetensorsFile(path: one + "/last.safetensors").floats(key)
        let arena = ParameterArena(spec: architecture.stateDictSpec)
        XCTAssertEqual(x.count, arena.parameterCount)
        XCTAssertEqual(y.count, arena.parameterCount)
        var worst = 0.0, compared = 0
        for entry in arena.entries where entry.kind == .parameter && entry.offset + entry.count <= min(x.count, y.count) {
            let range = entry.offset..<(entry.offset + entry.count)
            let relative = relativeDifference(x[range], y[range])
            worst = max(worst, relative)
            XCTAssertLessThan(relative, bar, "AdamW's first moment of \(entry.name): ‖2 ranks − 1 process‖/‖1 process‖ = \(relative)")
            compared += 1
        }
        XCTAssertGreaterThan(compared, 10)
        return worst
    }

    /// Every tensor of two runs' model.safetensors within `bar` relative (‖a − b‖ / ‖b‖); returns the worst.
    private func assertModelsAgree(_ two: String, _ one: String, bar: Double = 1e-3, after: String = "") throws -> Double {
        let a = try SafetensorsFile(path: two + "/model.safetensors"), b = try SafetensorsFile(path: one + "/model.safetensors")
        XCTAssertEqual(a.names.sorted(), b.names.sorted())
        var compared = 0, worst = 0.0
        for name in b.names {
            guard let y = try? b.floats(name) else { continue }
            let x = try a.floats(name)
            XCTAssertEqual(x.count, y.count, name)
            let relative = relativeDifference(x[..<min(x.count, y.count)], y[..<min(x.count, y.count)])
            worst = max(worst, relative)
            XCTAssertLessThan(relative, bar, "\(after)\(name): ‖2 ranks − 1 process‖/‖1 process‖ = \(relative)")
            compared += 1
        }
        XCTAssertGreaterThan(compared, 10)
        return worst
    }

    /// A scheduler's SIGTERM reaching one rank only: the ranks agree on it at the next step (a reduction of the
    /// stop flag), rank 0 saves, every rank exits 130; `--resume` under 2 ranks then ends with the weights and
    /// the curves of an uninterrupted 2-rank run, exactly. The same after a kill -9 of the whole job.
    func testATermToOneRankStopsEveryRankAndTheResumeMatchesAnUninterruptedRun() throws {
        let layout = try TrainClips.makeLayout(label: "mpi-stop")
        let out = Fixtures.scratchDirectory("mpi-stop-run"), straight = Fixtures.scratchDirectory("mpi-stop-straight")
        let p = try startMPI(2, train(layout, out, batch: 2, epochs: 20))
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: out + "/last.safetensors") && p.isRunning && Date() < deadline { usleep(5_000) }
        let ranks = children(of: p.process.processIdentifier)
        XCTAssertEqual(ranks.count, 2, "mpirun's ranks: \(ranks)")
        if let last = ranks.last { kill(last, SIGTERM) }
        let stopped = p.wait(timeout: 300)
        XCTAssertEqual(stopped.status, 130, "\(stopped)")
        XCTAssertEqual(stopped.stderr.components(separatedBy: "interrupted in epoch").count - 1, 1, "rank 0 alone says so: \(stopped.stderr)")
        let saved = try Checkpoint.read(path: out + "/last.safetensors")
        XCTAssertLessThan(saved.state.epoch, 20)
        let resumed = try mpirun(2, train(layout, out, batch: 2, epochs: 20, extra: ["--resume"]))
        XCTAssertEqual(resumed.status, 0, "\(resumed)")
        XCTAssertTrue(resumed.stdout.contains("resuming"), resumed.stdout)
        let once = try mpirun(2, train(layout, straight, batch: 2, epochs: 20))
        XCTAssertEqual(once.status, 0, "\(once)")
        func tensors(_ path: String) throws -> [String: [Float]] {
            let f = try SafetensorsFile(path: path)
            var d: [String: [Float]] = [:]
            for n in f.names { d[n] = try? f.floats(n) }
            return d
        }
        XCTAssertEqual(try tensors(out + "/last.safetensors"), try tensors(straight + "/last.safetensors"), "resumed ≠ uninterrupted")
        func curves(_ dir: String) throws -> [String] {
            try String(contentsOfFile: dir + "/metrics.csv", encoding: .utf8).split(separator: "\n")
                .map { $0.split(separator: ",").prefix(6).joined(separator: ",") }
        }
        XCTAssertEqual(try curves(out), try curves(straight))

        // kill -9 of the whole job (both ranks and mpirun, no chance to save): `--resume` continues from the last
        // epoch's checkpoint and ends with the uninterrupted run's weights and curves too
        let killed = Fixtures.scratchDirectory("mpi-kill-run")
        let job = try startMPI(2, train(layout, killed, batch: 2, epochs: 20))
        let start = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: killed + "/last.safetensors") && job.isRunning && Date() < start { usleep(5_000) }
        let jobRanks = children(of: job.process.processIdentifier)
        XCTAssertEqual(jobRanks.count, 2, "mpirun's ranks: \(jobRanks)")
        for rank in jobRanks { kill(rank, SIGKILL) }
        kill(job.process.processIdentifier, SIGKILL)
        _ = job.wait(timeout: 60)
        XCTAssertLessThan(try Checkpoint.read(path: killed + "/last.safetensors").state.epoch, 20, "killed before the end")
        let afterKill = try mpirun(2, train(layout, killed, batch: 2, epochs: 20, extra: ["--resume"]))
        XCTAssertEqual(afterKill.status, 0, "\(afterKill)")
        XCTAssertEqual(try tensors(killed + "/last.safetensors"), try tensors(straight + "/last.safetensors"), "resumed after kill -9 ≠ uninterrupted")
        XCTAssertEqual(try curves(killed), try curves(straight))
    }
}
