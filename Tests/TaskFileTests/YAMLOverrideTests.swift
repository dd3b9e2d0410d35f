import XCTest
@testable import TaskFile

final class YAMLOverrideTests: XCTestCase {
    private func fixture() throws -> YAMLNode {
        try YAMLParser.parse(contentsOfFile: yamlFixturePath("tasks.yaml"))
    }

    private func applying(_ arguments: String..., to root: YAMLNode) throws -> YAMLMapping {
        try YAMLOverride.apply(arguments.map(YAMLOverride.init(parsing:)), to: root).mapping()
    }

    func testOverridesAnExistingDefault() throws {
        let top = try applying("defaults.learning_rate=3e-5", to: fixture())
        let defaults = try top.nestedMapping("defaults")
        XCTAssertEqual(try defaults.required("learning_rate", as: Double.self), 3e-5)
        XCTAssertEqual(defaults["learning_rate"]?.position, .override("--set defaults.learning_rate=3e-5"))
        // The key keeps its place and its file position; its neighbours are untouched.
        XCTAssertEqual(defaults.keys[2], "learning_rate")
        XCTAssertEqual(defaults.entry("learning_rate")?.keyPosition.line, 4)
        XCTAssertEqual(try defaults.required("epochs", as: Int.self), 3)
    }

    func testAddressesTasksByNameAndByIndex() throws {
        let top = try applying("tasks.sst2.epochs=1", "tasks.2.data.train=foo.json",
                               "tasks.conll2003.metrics=[seqeval, accuracy]", to: fixture())
        let tasks = try top.sequence("tasks").map { try $0.mapping() }
        XCTAssertEqual(try tasks[0].required("epochs", as: Int.self), 1)
        XCTAssertEqual(tasks[0].entry("epochs")?.keyPosition, .override("--set tasks.sst2.epochs=1"))
        XCTAssertNil(tasks[1]["epochs"])
        XCTAssertEqual(try tasks[2].nestedMapping("data").required("train", as: String.self), "foo.json")
        XCTAssertEqual(try tasks[2].nestedMapping("data").required("format", as: String.self), "squad")
        XCTAssertEqual(try tasks[1].required("metrics", as: [String].self), ["seqeval", "accuracy"])
    }

    func testCreatesMissingKeysAndMappings() throws {
        let root = try YAMLParser.parse("model: m\ndefaults:\n", path: "t.yaml")
        let top = try applying("defaults.seed=7", "trainer.schedule.kind=linear", to: root)
        XCTAssertEqual(try top.nestedMapping("defaults").required("seed", as: Int.self), 7)
        XCTAssertEqual(try top.nestedMapping("trainer").nestedMapping("schedule").required("kind", as: String.self), "linear")
        XCTAssertEqual(top.keys, ["model", "defaults", "trainer"])
    }

    func testValuesAreParsedAsYAMLScalars() throws {
        let root = try YAMLParser.parse("a: 1\n", path: "t.yaml")
        let top = try applying("a=\"42\"", "b=", "c=yes", "d=x=y", "e= # nothing", to: root)
        XCTAssertEqual(top["a"]?.scalar, YAMLScalar("42", style: .doubleQuoted))
        XCTAssertNotNil(expectYAMLError(try top.required("a", as: Int.self)))
        XCTAssertEqual(top["b"]?.isNull, true)
        XCTAssertEqual(top["e"]?.isNull, true)
        XCTAssertEqual(try top.required("c", as: Bool.self), true)
        XCTAssertEqual(try top.required("d", as: String.self), "x=y")   // split at the first `=`
    }

    func testOverriddenValueErrorsPointAtTheOverride() throws {
        let top = try applying("defaults.epochs=many", to: fixture())
        let error = expectYAMLError(try top.nestedMapping("defaults").required("epochs", as: Int.self))
        XCTAssertEqual(error?.description, "--set defaults.epochs=many: `epochs`: expected an integer, found `many`")
    }

    func testUnknownTaskNameIsAnError() throws {
        let error = expectYAMLError(try applying("tasks.mnli.epochs=1", to: fixture()))
        XCTAssertEqual(error?.kind, .badOverride)
        XCTAssertEqual(error?.description, "--set tasks.mnli.epochs=1: no element of `tasks` (at "
                       + "\(yamlFixturePath("tasks.yaml")):7:3) has `name: mnli`; names: sst2, conll2003, squad")
    }

    func testBadPathsAndArguments() throws {
        let root = try fixture()
        XCTAssertEqual(expectYAMLError(try applying("tasks.3.epochs=1", to: root))?.kind, .badOverride)
        let throughScalar = expectYAMLError(try applying("model.path=x", to: root))
        XCTAssertEqual(throughScalar?.kind, .badOverride)
        XCTAssertTrue(throughScalar?.message.hasPrefix("`model` is a scalar") ?? false)
        XCTAssertEqual(expectYAMLError(try YAMLOverride(parsing: "defaults.epochs"))?.kind, .badOverride)
        XCTAssertEqual(expectYAMLError(try YAMLOverride(parsing: "defaults..epochs=1"))?.kind, .badOverride)
        XCTAssertEqual(expectYAMLError(try YAMLOverride(parsing: "=1"))?.kind, .badOverride)
        XCTAssertEqual(expectYAMLError(try YAMLOverride(parsing: "a=[1, 2"))?.kind, .badOverride)
    }

    func testLaterOverrideWins() throws {
        let top = try applying("defaults.seed=1", "defaults.seed=2", to: fixture())
        XCTAssertEqual(try top.nestedMapping("defaults").required("seed", as: Int.self), 2)
    }
}
