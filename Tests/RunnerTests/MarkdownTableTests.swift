import XCTest
@testable import Runner

final class MarkdownTableTests: XCTestCase {
    func testNumericColumnsAreRightAlignedAndCellsPadded() {
        let table = MarkdownTable(headers: ["metric", "value", "note"], rows: [
            ["f1", "0.912", "best"],
            ["accuracy", "91.2%", ""],
            ["loss", "-", "diverged|nan"],
        ])
        XCTAssertEqual(table.render(), """
        | metric   | value | note          |
        | -------- | ----: | ------------- |
        | f1       | 0.912 | best          |
        | accuracy | 91.2% |               |
        | loss     |     - | diverged\\|nan |

        """)
    }

    func testShortRowsAreFilledAndNumbersWithGroupingCount() {
        let table = MarkdownTable(headers: ["task", "tok/s", "time"], rows: [
            ["sst2", "1,234", "3m12s"],
            ["ner"],
        ])
        XCTAssertEqual(table.render(), """
        | task | tok/s | time  |
        | ---- | ----: | ----- |
        | sst2 | 1,234 | 3m12s |
        | ner  |       |       |

        """)
    }

    func testNumberDetection() {
        for cell in ["0.912", "-3", "1e-05", "1,234", "91.2%", "nan"] { XCTAssertTrue(MarkdownTable.isNumber(cell), cell) }
        for cell in ["f1", "3 epochs", "3m12s", "%"] { XCTAssertFalse(MarkdownTable.isNumber(cell), cell) }
    }
}
