package io.parhelia.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Order statistics of a small sample, in milliseconds. */
final class Stats {

    private final List<Double> values = new ArrayList<>();

    void add(double millis) {
        values.add(millis);
    }

    void addNanos(long nanos) {
        add(nanos / 1e6);
    }

    int count() {
        return values.size();
    }

    private List<Double> sorted() {
        List<Double> s = new ArrayList<>(values);
        Collections.sort(s);
        return s;
    }

    double min() {
        return sorted().get(0);
    }

    double max() {
        return sorted().get(values.size() - 1);
    }

    /** The middle value, or the mean of the two middle values. */
    double median() {
        List<Double> s = sorted();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** Nearest-rank percentile: the smallest value with at least p% of the sample at or below it. */
    double percentile(double p) {
        List<Double> s = sorted();
        int rank = (int) Math.ceil(p / 100.0 * s.size());
        return s.get(Math.max(0, Math.min(s.size() - 1, rank - 1)));
    }

    /** "min / median / p90 / max" cells, or dashes for an empty sample. */
    List<String> cells() {
        if (values.isEmpty()) {
            return List.of("-", "-", "-", "-");
        }
        return List.of(fmt(min()), fmt(median()), fmt(percentile(90)), fmt(max()));
    }

    static String fmt(double millis) {
        return String.format(Locale.ROOT, Math.abs(millis) >= 100 ? "%.0f" : "%.1f", millis);
    }

    String raw() {
        StringBuilder b = new StringBuilder();
        for (double v : values) {
            b.append(b.length() == 0 ? "" : " ").append(fmt(v));
        }
        return b.toString();
    }
}
