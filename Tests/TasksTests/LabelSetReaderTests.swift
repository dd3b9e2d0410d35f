import Foundation
import XCTest
@testable import Tasks

/// The label list and label indices.
final class LabelSetReaderTests: XCTestCase {
    func testIntegerLabelsSortNumerically() throws {
        let url = readerFixture("numeric-labels.tsv")
        let examples = try ClassificationReader.read(url: url, spec: classificationSpec(.tsv))
        let labels = try LabelSet.fromTraining(examples, declared: nil, path: url.path)
        XCTAssertEqual(labels, ["0", "1", "2", "10"])
        XCTAssertEqual(try LabelSet.indices(of: examples, labels: labels, path: url.path), [3, 2, 0, 1, 2])
    }

    func testOtherLabelsSortByScalars() throws {
        let url = readerFixture("rte-sample.tsv")
        let examples = try ClassificationReader.read(url: url, spec: classificationSpec(.tsv, text: .name("sentence1")))
        XCTAssertEqual(try LabelSet.fromTraining(examples, declared: nil, path: url.path), ["entailment", "not_entailment"])
        let mixed: Set<String> = ["b", "B", "10", "2", "é", "a"]
        XCTAssertEqual(LabelSet.sorted(mixed), ["10", "2", "B", "a", "b", "é"])
        XCTAssertEqual(LabelSet.sorted(["-1", "1", "0"]), ["-1", "0", "1"])
    }

    func testDeclaredListWinsAndRejectsAStrayTrainingLabel() throws {
        let url = readerFixture("stray-label.tsv")
        let examples = try ClassificationReader.read(url: url, spec: classificationSpec(.tsv))
        XCTAssertEqual(try LabelSet.fromTraining(examples, declared: ["2", "1", "0"], path: url.path), ["2", "1", "0"])
        let message = assertDatasetError(.labelNotDeclared(path: url.path, line: 4, label: "2", declared: ["0", "1"])) {
            try LabelSet.fromTraining(examples, declared: ["0", "1"], path: url.path)
        }
        XCTAssertEqual(message, "\(url.path):4: label `2` is not in the task's `labels` list: `0`, `1`")
    }

    func testUnseenEvalLabelNamesLineAndKnownLabels() throws {
        let url = readerFixture("eval-unseen.tsv")
        let examples = try ClassificationReader.read(url: url, spec: classificationSpec(.tsv))
        let message = assertDatasetError(.unknownLabel(path: url.path, line: 3, label: "3", known: ["0", "1"])) {
            try LabelSet.indices(of: examples, labels: ["0", "1"], path: url.path)
        }
        XCTAssertEqual(message, "\(url.path):3: label `3` does not occur in the training data; the known labels are `0`, `1`")
    }

    func testUnlabelledExamplesCannotBeIndexed() throws {
        let url = readerFixture("sst2-test-sample.tsv")
        let examples = try ClassificationReader.read(url: url, spec: classificationSpec(.tsv), requireLabels: false)
        assertDatasetError(.missingLabel(path: url.path, line: 2)) {
            try LabelSet.indices(of: examples, labels: ["0", "1"], path: url.path)
        }
    }
}
