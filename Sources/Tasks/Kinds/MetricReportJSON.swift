import Backbone
import TaskMetrics

// The metric reports as the JSONValue that metrics.json holds, built field by field: the same
// value JSONEncoder's encoding of the Codable report decodes to (keys are the property names,
// numbers Double, a nil `binary` left out; MetricReportJSONTests holds the two equal), without the
// trip through text: on small files that trip took about 15% of the tsv fuzz target's time and
// 10% of conll-iob2's (perf record, docs/reliability.md).

extension ClassificationReport {
    var jsonValue: JSONValue {
        var object: [String: JSONValue] = [
            "count": .number(Double(count)),
            "accuracy": .number(accuracy),
            "macro": macro.jsonValue,
            "micro": micro.jsonValue,
            "weighted": weighted.jsonValue,
            "matthewsCorrelation": .number(matthewsCorrelation),
            "perClass": .array(perClass.map { row in
                .object(["label": .string(row.label), "precision": .number(row.precision), "recall": .number(row.recall),
                         "f1": .number(row.f1), "support": .number(Double(row.support))])
            }),
            "confusionMatrix": .array(confusionMatrix.map { row in .array(row.map { .number(Double($0)) }) }),
            "labelNames": .array(labelNames.map { .string($0) }),
        ]
        if let binary {
            object["binary"] = .object(["positiveLabel": .string(binary.positiveLabel), "precision": .number(binary.precision),
                                        "recall": .number(binary.recall), "f1": .number(binary.f1)])
        }
        return .object(object)
    }
}

extension AveragedScores {
    var jsonValue: JSONValue {
        .object(["precision": .number(precision), "recall": .number(recall), "f1": .number(f1)])
    }
}

extension SeqevalReport {
    var jsonValue: JSONValue {
        .object([
            "mode": .string(mode.rawValue),
            "precision": .number(precision), "recall": .number(recall), "f1": .number(f1), "accuracy": .number(accuracy),
            "perType": .array(perType.map { .object(["type": .string($0.type), "scores": $0.scores.jsonValue]) }),
            "microAverage": microAverage.jsonValue,
            "macroAverage": macroAverage.jsonValue,
            "weightedAverage": weightedAverage.jsonValue,
        ])
    }
}

extension SeqevalScores {
    var jsonValue: JSONValue {
        .object(["precision": .number(precision), "recall": .number(recall), "f1": .number(f1),
                 "support": .number(Double(support))])
    }
}
