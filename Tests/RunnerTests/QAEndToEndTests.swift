import Backbone
import Foundation
import XCTest
@testable import Tasks
import TaskMetrics

/// `bertkit run` and `bertkit predict` on a span-extraction task, through the executable: the tiny
/// fixture model on a SQuAD v2.0-format set made from the Jacksonville article (paragraphs 0-13
/// train, 14-20 eval; every third question's answers removed and marked impossible).
final class QAEndToEndTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-qa-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Writes train-v2.json and eval-v2.json; returns how many eval questions are impossible.
    @discardableResult
    func writeVersionTwoSet() throws -> Int {
        let article = BertKitProcess.fixtures.appendingPathComponent("qa/jacksonville-v1.1.json")
        guard case .object(let file) = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: article)),
              case .array(let articles)? = file["data"], case .object(let first) = articles[0],
              case .array(let paragraphs)? = first["paragraphs"] else { throw TaskError.invalid("unexpected fixture shape") }
        var questionNumber = 0
        var impossibleInEval = 0
        let converted: [JSONValue] = paragraphs.enumerated().map { index, paragraph in
            guard case .object(var p) = paragraph, case .array(let qas)? = p["qas"] else { return paragraph }
            p["qas"] = .array(qas.map { question in
                guard case .object(var q) = question else { return question }
                defer { questionNumber += 1 }
                if questionNumber % 3 == 2 {
                    q["plausible_answers"] = q["answers"]
                    q["answers"] = .array([])
                    q["is_impossible"] = .bool(true)
                    if index >= 14 { impossibleInEval += 1 }
                } else {
                    q["is_impossible"] = .bool(false)
                }
                return .object(q)
            })
            return .object(p)
        }
        for (name, range) in [("train-v2.json", 0..<14), ("eval-v2.json", 14..<21)] {
            let data = JSONValue.object(["version": .string("v2.0"),
                                         "data": .array([.object(["title": .string("Jacksonville,_Florida"),
                                                                  "paragraphs": .array(Array(converted[range]))])])])
            try JSONEncoder().encode(data).write(to: folder.appendingPathComponent(name))
        }
        return impossibleInEval
    }

    func writeTaskFile(version: String) throws -> URL {
        let yaml = """
            model: \(BertKitProcess.fixtures.appendingPathComponent("tiny-bert").path)
            output: runs
            defaults: {epochs: 2, batch_size: 16, learning_rate: 2e-3, warmup_ratio: 0.1, weight_decay: 0.01, seed: 3, logging_steps: 5}
            tasks:
              - name: squad-\(version)
                head: span-extraction
                data: {format: squad, train: train-\(version).json, eval: eval-\(version).json}
                metrics: [squad]
                max_seq_length: 64
                doc_stride: 16
            """
        let url = folder.appendingPathComponent("tasks-\(version).yaml")
        try Data(yaml.utf8).write(to: url)
        return url
    }

    struct Metrics: Decodable { var outcome: String; var final: [String: [String: Double]] }

    func testVersionTwoRunsEndToEndAndItsMetricsAreTheOfficialLogicOnTheWrittenFiles() throws {
        let impossible = try writeVersionTwoSet()
        XCTAssertGreaterThan(impossible, 5)
        let result = try BertKitProcess.run(["run", try writeTaskFile(version: "v2").path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let task = folder.appendingPathComponent("runs/squad-v2")
        let metrics = try JSONDecoder().decode(Metrics.self, from: Data(contentsOf: task.appendingPathComponent("metrics.json")))
        XCTAssertEqual(metrics.outcome, "finished")
        let evalFile = folder.appendingPathComponent("eval-v2.json")
        let odds = try checkVersionTwo(task: task, evalFile: evalFile, impossible: impossible, threshold: 0)

        // The tiny model may well say "no answer" everywhere at threshold 0; evaluate the best
        // checkpoint again at the median null-score difference, so that half the questions are
        // answered and the HasAns scores and the best threshold mean something.
        let median = odds.values.sorted()[odds.count / 2]
        let again = try BertKitProcess.run(["run", folder.appendingPathComponent("tasks-v2.yaml").path, "--eval-only",
                                            "--set", "output=rerun", "--set", "tasks.squad-v2.model=runs/squad-v2/best",
                                            "--set", "null_score_diff_threshold=\(median)"])
        XCTAssertEqual(again.status, 0, again.stderr)
        let rerun = folder.appendingPathComponent("rerun/squad-v2")
        let rerunOdds = try checkVersionTwo(task: rerun, evalFile: evalFile, impossible: impossible, threshold: median)
        let answered = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: rerun.appendingPathComponent("predictions.json")))
            .values.filter { !$0.isEmpty }.count
        XCTAssertEqual(answered, rerunOdds.values.filter { $0 <= median }.count)
        XCTAssertGreaterThan(answered, 0)
        XCTAssertLessThan(answered, rerunOdds.count)

        // bertkit predict: the answer is context[start..<end] in code points
        let contexts = ["Jacksonville is the largest city in Florida by population.",
                        "\u{FEFF}Caf\u{E9} 😀 in Jacksonville opened in 1822, the year the city was named."]
        let input = contexts.map { context in
            String(decoding: try! JSONEncoder().encode(["question": "  Which city?", "context": context]), as: UTF8.self) + "\n"
        }.joined()
        let predicted = try BertKitProcess.run(["predict", "--model", task.appendingPathComponent("best").path], input: input)
        XCTAssertEqual(predicted.status, 0, predicted.stderr)
        let lines = predicted.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        struct Answer: Decodable { var answer: String; var start: Int; var end: Int; var score: Double }
        for (line, context) in zip(lines, contexts) {
            let answer = try JSONDecoder().decode(Answer.self, from: Data(line.utf8))
            let scalars = Array(context.unicodeScalars)
            XCTAssertTrue(0 <= answer.start && answer.start < answer.end && answer.end <= scalars.count, String(line))
            var piece = String.UnicodeScalarView()
            piece.append(contentsOf: scalars[answer.start..<answer.end])
            XCTAssertEqual(String(piece), answer.answer)
            XCTAssertTrue(answer.score > 0 && answer.score <= 1)
        }
    }

    /// Scores a v2 run's written files with evaluate-v2.0.py's logic (SquadMetrics.v2, itself
    /// checked against the script) — null_odds.json as the --na-prob-file, --na-prob-thresh the
    /// run's null_score_diff_threshold — and checks the run reported the same; returns the odds.
    @discardableResult
    func checkVersionTwo(task: URL, evalFile: URL, impossible: Int, threshold: Double,
                         file: StaticString = #filePath, line: UInt = #line) throws -> [String: Double] {
        let metrics = try JSONDecoder().decode(Metrics.self, from: Data(contentsOf: task.appendingPathComponent("metrics.json")))
        let reported = try XCTUnwrap(metrics.final["eval"], file: file, line: line)
        let gold = try SquadMetrics.goldAnswers(contentsOf: evalFile)
        let predictions = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: task.appendingPathComponent("predictions.json")))
        let odds = try JSONDecoder().decode([String: Double].self, from: Data(contentsOf: task.appendingPathComponent("null_odds.json")))
        XCTAssertEqual(Set(predictions.keys), Set(gold.map(\.id)), file: file, line: line)
        XCTAssertEqual(Set(odds.keys), Set(gold.map(\.id)), file: file, line: line)
        let official = try SquadMetrics.v2(gold: gold, predictions: predictions, noAnswerProbabilities: odds,
                                           noAnswerThreshold: max(1, threshold))
        let expected: [String: Double?] = [
            "exact": official.exact, "f1": official.f1, "total": Double(official.total),
            "HasAns_exact": official.hasAnsExact, "HasAns_f1": official.hasAnsF1, "HasAns_total": official.hasAnsTotal.map(Double.init),
            "NoAns_exact": official.noAnsExact, "NoAns_f1": official.noAnsF1, "NoAns_total": official.noAnsTotal.map(Double.init),
            "best_exact": official.bestExact, "best_exact_thresh": official.bestExactThresh,
            "best_f1": official.bestF1, "best_f1_thresh": official.bestF1Thresh]
        for (name, value) in expected {
            XCTAssertEqual(try XCTUnwrap(reported[name], name, file: file, line: line), try XCTUnwrap(value, file: file, line: line),
                           accuracy: 1e-9, name, file: file, line: line)
        }
        XCTAssertEqual(reported["NoAns_total"], Double(impossible), file: file, line: line)

        // "" exactly where the null score beats the best span by more than the threshold, and
        // every answer is a piece of its context.
        for example in try SquadReader.read(url: evalFile).examples {
            let text = predictions[example.id]!
            XCTAssertEqual(text.isEmpty, odds[example.id]! > threshold, example.id, file: file, line: line)
            if !text.isEmpty { XCTAssertTrue(example.context.contains(text), "\(example.id): \(text)", file: file, line: line) }
        }
        let nBest = try JSONDecoder().decode([String: [[String: JSONValue]]].self,
                                             from: Data(contentsOf: task.appendingPathComponent("nbest_predictions.json")))
        XCTAssertEqual(nBest.count, gold.count, file: file, line: line)
        for (id, list) in nBest {
            let total = list.reduce(0.0) { sum, entry in
                if case .number(let p)? = entry["probability"] { return sum + p }
                return sum
            }
            XCTAssertEqual(total, 1, accuracy: 1e-9, id, file: file, line: line)
            XCTAssertTrue(list.contains { $0["text"] == .string("") }, "v2 n-best lists hold the null answer: \(id)", file: file, line: line)
        }
        return odds
    }

    /// SQuAD v1.1 as is: exact_match and f1 are the v1.1 evaluator's on predictions.json.
    func testVersionOneReportsTheOfficialV11Scores() throws {
        let article = BertKitProcess.fixtures.appendingPathComponent("qa/jacksonville-v1.1.json")
        for name in ["train-v1.json", "eval-v1.json"] {
            try FileManager.default.copyItem(at: article, to: folder.appendingPathComponent(name))
        }
        let result = try BertKitProcess.run(["run", try writeTaskFile(version: "v1").path, "--set", "epochs=1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let task = folder.appendingPathComponent("runs/squad-v1")
        let reported = try XCTUnwrap(try JSONDecoder().decode(Metrics.self, from: Data(contentsOf: task.appendingPathComponent("metrics.json"))).final["eval"])
        let predictions = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: task.appendingPathComponent("predictions.json")))
        let official = SquadMetrics.v1(gold: try SquadMetrics.goldAnswers(contentsOf: article), predictions: predictions)
        XCTAssertEqual(official.unanswered, 0)
        XCTAssertEqual(reported["exact_match"]!, official.exactMatch, accuracy: 1e-9)
        XCTAssertEqual(reported["f1"]!, official.f1, accuracy: 1e-9)
        XCTAssertNil(reported["HasAns_exact"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: task.appendingPathComponent("null_odds.json").path))
        XCTAssertFalse(predictions.values.contains(""), "v1.1 always answers")
    }
}
