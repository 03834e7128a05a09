package io.parhelia.engine.checkpoint;

import java.util.ArrayList;
import java.util.List;

/**
 * A line diff by longest common subsequence, after trimming the common head and tail. When the
 * differing middle is too large for the table, it is reported as wholly replaced: the counts stay
 * true upper bounds rather than the diff taking unbounded memory.
 */
public final class LineDiff {

    private static final long MAX_CELLS = 4_000_000;
    private static final int CONTEXT = 3;

    private enum Op { KEEP, DELETE, INSERT }

    private record Edit(Op op, String line) {
    }

    public record Counts(int added, int deleted) {
    }

    private final List<Edit> edits;

    private LineDiff(List<Edit> edits) {
        this.edits = edits;
    }

    public static LineDiff of(List<String> before, List<String> after) {
        int head = 0;
        while (head < before.size() && head < after.size() && before.get(head).equals(after.get(head))) {
            head++;
        }
        int tail = 0;
        while (tail < before.size() - head && tail < after.size() - head
                && before.get(before.size() - 1 - tail).equals(after.get(after.size() - 1 - tail))) {
            tail++;
        }
        List<Edit> edits = new ArrayList<>();
        before.subList(0, head).forEach(l -> edits.add(new Edit(Op.KEEP, l)));
        edits.addAll(middle(before.subList(head, before.size() - tail), after.subList(head, after.size() - tail)));
        before.subList(before.size() - tail, before.size()).forEach(l -> edits.add(new Edit(Op.KEEP, l)));
        return new LineDiff(edits);
    }

    private static List<Edit> middle(List<String> a, List<String> b) {
        List<Edit> edits = new ArrayList<>();
        if ((long) a.size() * b.size() > MAX_CELLS) {
            a.forEach(l -> edits.add(new Edit(Op.DELETE, l)));
            b.forEach(l -> edits.add(new Edit(Op.INSERT, l)));
            return edits;
        }
        int[][] lcs = new int[a.size() + 1][b.size() + 1];
        for (int i = a.size() - 1; i >= 0; i--) {
            for (int j = b.size() - 1; j >= 0; j--) {
                lcs[i][j] = a.get(i).equals(b.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        int i = 0;
        int j = 0;
        while (i < a.size() || j < b.size()) {
            if (i < a.size() && j < b.size() && a.get(i).equals(b.get(j))) {
                edits.add(new Edit(Op.KEEP, a.get(i++)));
                j++;
            } else if (i < a.size() && (j == b.size() || lcs[i + 1][j] >= lcs[i][j + 1])) {
                edits.add(new Edit(Op.DELETE, a.get(i++)));
            } else {
                edits.add(new Edit(Op.INSERT, b.get(j++)));
            }
        }
        return edits;
    }

    public Counts counts() {
        int added = 0;
        int deleted = 0;
        for (Edit e : edits) {
            if (e.op() == Op.INSERT) {
                added++;
            } else if (e.op() == Op.DELETE) {
                deleted++;
            }
        }
        return new Counts(added, deleted);
    }

    /** The unified diff with three lines of context, cut at maxChars (marked when cut). */
    public String unified(String fromName, String toName, int maxChars) {
        StringBuilder out = new StringBuilder("--- ").append(fromName).append('\n').append("+++ ").append(toName).append('\n');
        int index = 0;
        while (index < edits.size()) {
            if (edits.get(index).op() == Op.KEEP) {
                index++;
                continue;
            }
            int start = Math.max(0, index - CONTEXT);
            int end = index;
            int lastChange = index;
            while (end < edits.size() && end - lastChange <= 2 * CONTEXT) {
                if (edits.get(end).op() != Op.KEEP) {
                    lastChange = end;
                }
                end++;
            }
            end = Math.min(edits.size(), lastChange + CONTEXT + 1);
            int oldLine = 1;
            int newLine = 1;
            for (int k = 0; k < start; k++) {
                oldLine += edits.get(k).op() != Op.INSERT ? 1 : 0;
                newLine += edits.get(k).op() != Op.DELETE ? 1 : 0;
            }
            int oldCount = 0;
            int newCount = 0;
            StringBuilder body = new StringBuilder();
            for (int k = start; k < end; k++) {
                Edit e = edits.get(k);
                oldCount += e.op() != Op.INSERT ? 1 : 0;
                newCount += e.op() != Op.DELETE ? 1 : 0;
                body.append(switch (e.op()) { case KEEP -> ' '; case DELETE -> '-'; case INSERT -> '+'; })
                        .append(e.line()).append('\n');
            }
            out.append("@@ -").append(oldCount == 0 ? oldLine - 1 : oldLine).append(',').append(oldCount)
                    .append(" +").append(newCount == 0 ? newLine - 1 : newLine).append(',').append(newCount).append(" @@\n")
                    .append(body);
            if (out.length() > maxChars) {
                return out.substring(0, maxChars) + "\n[diff cut at " + maxChars + " characters]\n";
            }
            index = end;
        }
        return out.toString();
    }
}
