import XCTest
@testable import TaskFile

final class YAMLEnvironmentExpansionTests: XCTestCase {
    private let here = YAMLPosition.file(path: "t.yaml", line: 4, column: 12)

    private func expand(_ text: String, _ environment: [String: String]) throws -> String {
        try expandEnvironmentVariables(in: text, environment: environment, at: here)
    }

    func testSetVariablesAreSubstituted() throws {
        XCTAssertEqual(try expand("${DATA}/sst2/train.tsv", ["DATA": "/mnt/data"]), "/mnt/data/sst2/train.tsv")
        XCTAssertEqual(try expand("${A}${B}-${A}", ["A": "x", "B": "y"]), "xy-x")
        XCTAssertEqual(try expand("${DATA:-data}/x", ["DATA": "/srv"]), "/srv/x")
        XCTAssertEqual(try expand("${EMPTY}/x", ["EMPTY": ""]), "/x")
        XCTAssertEqual(try expand("${_under_1}", ["_under_1": "ok"]), "ok")
        XCTAssertEqual(try expand("é${V}ü", ["V": "ß"]), "éßü")
    }

    func testUnsetWithDefaultUsesTheDefault() throws {
        XCTAssertEqual(try expand("${DATA:-data}/sst2", [:]), "data/sst2")
        XCTAssertEqual(try expand("${DATA:-}/sst2", [:]), "/sst2")
        XCTAssertEqual(try expand("${DATA:-/a:b-c}", [:]), "/a:b-c")
        // `:-` also covers set-but-empty, as in the shell.
        XCTAssertEqual(try expand("${DATA:-data}", ["DATA": ""]), "data")
    }

    func testUnsetWithoutDefaultIsAnErrorNamingTheVariable() throws {
        let error = expectYAMLError(try expand("${MODEL_DIR}/bert", ["OTHER": "x"]))
        XCTAssertEqual(error?.kind, .unsetVariable("MODEL_DIR"))
        XCTAssertEqual(error?.description, "t.yaml:4:12: environment variable `MODEL_DIR` is not set "
                       + "(used in \"${MODEL_DIR}/bert\"); set it, or write `${MODEL_DIR:-default}`")
    }

    func testDollarsWithoutBracesAreLeftAsTheyAre() throws {
        XCTAssertEqual(try expand("$HOME/a$", ["HOME": "/root"]), "$HOME/a$")
        XCTAssertEqual(try expand("cost$$5", [:]), "cost$$5")
        XCTAssertEqual(try expand("$${HOME}", ["HOME": "/root"]), "$${HOME}")
        XCTAssertEqual(try expand("a{b}$", [:]), "a{b}$")
    }

    func testMalformedReferences() throws {
        XCTAssertEqual(expectYAMLError(try expand("${DATA/x", [:]))?.kind, .malformedVariable)
        XCTAssertEqual(expectYAMLError(try expand("${1X}", [:]))?.kind, .malformedVariable)
        XCTAssertEqual(expectYAMLError(try expand("${}", [:]))?.kind, .malformedVariable)
        XCTAssertEqual(expectYAMLError(try expand("${A B}", ["A B": "x"]))?.kind, .malformedVariable)
    }

    func testPathHelpersExpandAtTheValuePosition() throws {
        let map = try YAMLParser.parse("train: ${DATA:-data}/train.tsv\neval: ${EVAL_FILE}\n", path: "t.yaml").mapping()
        XCTAssertEqual(try map.requiredPath("train", environment: [:]), "data/train.tsv")
        XCTAssertNil(try map.optionalPath("test", environment: [:]))
        XCTAssertEqual(try map.optionalPath("eval", environment: ["EVAL_FILE": "dev.tsv"]), "dev.tsv")
        let error = expectYAMLError(try map.requiredPath("eval", environment: [:]))
        XCTAssertEqual(error?.position, .file(path: "t.yaml", line: 2, column: 7))
        XCTAssertEqual(error?.kind, .unsetVariable("EVAL_FILE"))
    }
}
