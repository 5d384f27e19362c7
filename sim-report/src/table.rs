//! Column alignment exactly as kubectl prints it.
//!
//! kubectl writes every table through a tab writer: `kubectl get` uses
//! `github.com/liggitt/tabwriter` configured by
//! `k8s.io/cli-runtime/pkg/printers/tabwriter.go` (minwidth 6, tabwidth 4,
//! padding 3, pad char ' ', flag `RememberWidths`), and `kubectl describe`
//! uses Go's `text/tabwriter` configured by `tabbedString` in
//! `k8s.io/kubectl/pkg/describe/describe.go` (minwidth 0, tabwidth 8,
//! padding 2, pad char ' ', no flags). [`tabwrite`] reimplements the
//! column-block algorithm shared by both (cells are tab-terminated; the text
//! after the last tab of a line is not part of any column and is never
//! padded; a line without tabs ends every column block). [`Table`] builds the
//! `kubectl get` text the way `printTable` in
//! `k8s.io/cli-runtime/pkg/printers/tableprinter.go` does.

/// Settings of a Go tab writer whose pad character is a space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TabWriterConfig {
    /// Minimal cell width, padding included.
    pub minwidth: usize,
    /// Padding added to the widest cell of a column.
    pub padding: usize,
    /// The `RememberWidths` flag of `liggitt/tabwriter`: column widths never
    /// shrink across flushes.
    pub remember_widths: bool,
}

/// The tab writer settings of `kubectl get` (`cli-runtime` `GetNewTabWriter`).
pub const KUBECTL_GET: TabWriterConfig = TabWriterConfig {
    minwidth: 6,
    padding: 3,
    remember_widths: true,
};

/// The tab writer settings of `kubectl describe` (`tabbedString`).
pub const KUBECTL_DESCRIBE: TabWriterConfig = TabWriterConfig {
    minwidth: 0,
    padding: 2,
    remember_widths: false,
};

struct Writer {
    config: TabWriterConfig,
    lines: Vec<Vec<String>>,
    cell: String,
    maxwidths: Vec<usize>,
    out: String,
}

fn text_width(s: &str) -> usize {
    s.chars().count()
}

impl Writer {
    fn terminate_cell(&mut self) -> usize {
        let cell = std::mem::take(&mut self.cell);
        if self.lines.is_empty() {
            self.lines.push(Vec::new());
        }
        let last = self.lines.len() - 1;
        self.lines[last].push(cell);
        self.lines[last].len()
    }

    fn write_lines(&mut self, line0: usize, line1: usize, widths: &[usize]) {
        for i in line0..line1 {
            for (j, cell) in self.lines[i].iter().enumerate() {
                self.out.push_str(cell);
                if let Some(&w) = widths.get(j) {
                    let pad = w.saturating_sub(text_width(cell));
                    self.out.push_str(&" ".repeat(pad));
                }
            }
            if i + 1 == self.lines.len() {
                // The last buffered line has no newline yet; its pending cell
                // (always terminated before formatting) is empty.
            } else {
                self.out.push('\n');
            }
        }
    }

    fn format(&mut self, line0: usize, line1: usize, widths: &mut Vec<usize>) {
        let column = widths.len();
        let mut line0 = line0;
        let mut this = line0;
        while this < line1 {
            if column + 1 >= self.lines[this].len() {
                this += 1;
                continue;
            }
            // This line starts a block of lines that have a cell in `column`.
            self.write_lines(line0, this, widths);
            line0 = this;
            let mut width = self.config.minwidth;
            while this < line1 {
                let line = &self.lines[this];
                if column + 1 >= line.len() {
                    break;
                }
                let w = text_width(&line[column]) + self.config.padding;
                if w > width {
                    width = w;
                }
                this += 1;
            }
            if self.config.remember_widths {
                if self.maxwidths.len() < widths.len() {
                    let from = self.maxwidths.len();
                    self.maxwidths.extend_from_slice(&widths[from..]);
                }
                let k = widths.len();
                if self.maxwidths.len() == k {
                    self.maxwidths.push(width);
                } else if self.maxwidths[k] > width {
                    width = self.maxwidths[k];
                } else if self.maxwidths[k] < width {
                    self.maxwidths[k] = width;
                }
            }
            widths.push(width);
            self.format(line0, this, widths);
            widths.pop();
            line0 = this;
        }
        self.write_lines(line0, line1, widths);
    }

    fn flush(&mut self) {
        if !self.cell.is_empty() {
            self.terminate_cell();
        }
        let n = self.lines.len();
        let mut widths = Vec::new();
        self.format(0, n, &mut widths);
        self.lines.clear();
        self.lines.push(Vec::new());
        self.cell.clear();
    }

    fn write(&mut self, text: &str) {
        for ch in text.chars() {
            match ch {
                '\t' | '\u{b}' | '\n' | '\u{c}' => {
                    let ncells = self.terminate_cell();
                    if ch == '\n' || ch == '\u{c}' {
                        self.lines.push(Vec::new());
                        if ch == '\u{c}' || ncells == 1 {
                            self.flush();
                        }
                    }
                }
                _ => self.cell.push(ch),
            }
        }
    }
}

/// Aligns tab-separated text like a Go tab writer with the given settings
/// that is written `text` in one go and then flushed.
pub fn tabwrite(text: &str, config: TabWriterConfig) -> String {
    let mut w = Writer {
        config,
        lines: vec![Vec::new()],
        cell: String::new(),
        maxwidths: Vec::new(),
        out: String::new(),
    };
    w.write(text);
    w.flush();
    w.out
}

/// `printers.EscapeTerminal` (`cli-runtime/pkg/printers/terminal.go`):
/// replaces ESC by `^[` and carriage returns by `\r`.
pub fn escape_terminal(s: &str) -> String {
    s.replace('\u{1b}', "^[").replace('\r', "\\r")
}

/// A cell as `printTable` writes it: cut at the first newline, carriage
/// return or form feed (then followed by "..."), then terminal-escaped.
pub fn table_cell(s: &str) -> String {
    match s.find(['\u{c}', '\n', '\r']) {
        Some(i) => format!("{}...", escape_terminal(&s[..i])),
        None => escape_terminal(s),
    }
}

/// A `kubectl get` table: upper-case headers and rows of already formatted
/// cells.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// Column headers, printed as given (kubectl upper-cases column names).
    pub headers: Vec<String>,
    /// Rows of cells, in print order.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these headers and no rows.
    pub fn new(headers: Vec<&str>) -> Self {
        Table {
            headers: headers.into_iter().map(str::to_string).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn push_row(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// The table as `kubectl get` prints it, every line ending with a
    /// newline. Like `printTable`, a table without rows prints nothing,
    /// not even its headers.
    pub fn render(&self, no_headers: bool) -> String {
        if self.rows.is_empty() {
            return String::new();
        }
        let mut text = String::new();
        if !no_headers {
            text.push_str(&self.headers.join("\t"));
            text.push('\n');
        }
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(|c| table_cell(c)).collect();
            text.push_str(&cells.join("\t"));
            text.push('\n');
        }
        tabwrite(&text, KUBECTL_GET)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_get_alignment() {
        let mut t = Table::new(vec!["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
        t.push_row(vec![
            "nginx".into(),
            "1/1".into(),
            "Running".into(),
            "0".into(),
            "5m".into(),
        ]);
        t.push_row(vec![
            "a-much-longer-pod-name".into(),
            "0/1".into(),
            "ContainerCreating".into(),
            "0".into(),
            "12s".into(),
        ]);
        let want = "\
NAME                     READY   STATUS              RESTARTS   AGE
nginx                    1/1     Running             0          5m
a-much-longer-pod-name   0/1     ContainerCreating   0          12s
";
        assert_eq!(t.render(false), want);
        let want_no_headers = "\
nginx                    1/1   Running             0     5m
a-much-longer-pod-name   0/1   ContainerCreating   0     12s
";
        assert_eq!(t.render(true), want_no_headers);
    }

    #[test]
    fn minwidth_and_empty_last_cell() {
        let mut t = Table::new(vec!["A", "B"]);
        t.push_row(vec!["x".into(), "".into()]);
        // Narrow columns are padded to minwidth 6; an empty last cell leaves
        // the padding of the cell before it.
        assert_eq!(t.render(false), "A     B\nx     \n");
    }

    #[test]
    fn empty_table_prints_nothing() {
        let t = Table::new(vec!["NAME", "AGE"]);
        assert_eq!(t.render(false), "");
        assert_eq!(t.render(true), "");
    }

    #[test]
    fn cells_are_cut_and_escaped() {
        assert_eq!(table_cell("line1\nline2"), "line1...");
        assert_eq!(table_cell("a\u{1b}[31mred"), "a^[[31mred");
        assert_eq!(table_cell("\rx"), "...");
        assert_eq!(escape_terminal("a\rb"), "a\\rb");
    }

    #[test]
    fn multibyte_cells_count_runes() {
        let mut t = Table::new(vec!["NAME", "AGE"]);
        t.push_row(vec!["héllo".into(), "1s".into()]);
        assert_eq!(t.render(false), "NAME    AGE\nhéllo   1s\n");
    }

    #[test]
    fn describe_blocks_end_at_lines_without_tabs() {
        let text = "Name:\tnginx\nNamespace:\tdefault\nContainers:\n  c:\n    Image:\tnginx\n    Port:\t<none>\n";
        let want = "Name:       nginx\nNamespace:  default\nContainers:\n  c:\n    Image:  nginx\n    Port:   <none>\n";
        assert_eq!(tabwrite(text, KUBECTL_DESCRIBE), want);
    }

    #[test]
    fn nested_columns_form_their_own_blocks() {
        // Column 1 of the first two lines is a block; the third line has only
        // two cells so column 1 there does not exist.
        let text = "a\tbb\tc\naaaa\tb\tc\nx\ty\n";
        let want = "a     bb  c\naaaa  b   c\nx     y\n";
        assert_eq!(tabwrite(text, KUBECTL_DESCRIBE), want);
    }

    #[test]
    fn remember_widths_across_flushes() {
        let text = "long-cell\tx\nno tabs here\na\tb\n";
        assert_eq!(
            tabwrite(text, KUBECTL_GET),
            "long-cell   x\nno tabs here\na           b\n"
        );
        assert_eq!(
            tabwrite(text, KUBECTL_DESCRIBE),
            "long-cell  x\nno tabs here\na  b\n"
        );
    }

    #[test]
    fn text_without_trailing_newline() {
        assert_eq!(tabwrite("a\tb", KUBECTL_DESCRIBE), "a  b");
        assert_eq!(tabwrite("", KUBECTL_DESCRIBE), "");
    }
}
