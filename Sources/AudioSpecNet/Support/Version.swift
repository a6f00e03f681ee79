/// The tool's version, recorded in model files, run configs and `--version`.
public let audioSpecNetVersion = "0.1.0"
