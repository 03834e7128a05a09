package io.parhelia.engine.task;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;

/**
 * A filtered, newest-first, keyset-paged list over one table: each filter left null or empty is
 * left out, so filters combine freely.
 */
final class Listing {

    @FunctionalInterface
    interface RowReader<T> {
        T read(ResultSet row) throws SQLException;
    }

    private final String table;
    private final String columns;
    private final StringBuilder where = new StringBuilder(" WHERE 1=1");
    private final List<Object> args = new ArrayList<>();

    Listing(String table) {
        this(table, "*");
    }

    /** Selecting only {@code columns}, in the order the row reader reads them. */
    Listing(String table, String columns) {
        this.table = table;
        this.columns = columns;
    }

    Listing equalTo(String column, Object value) {
        if (value != null) {
            where.append(" AND ").append(column).append(" = ?");
            args.add(value);
        }
        return this;
    }

    Listing in(String column, Collection<String> values) {
        if (!values.isEmpty()) {
            where.append(" AND ").append(column).append(" IN (")
                    .append(String.join(",", values.stream().map(v -> "?").toList())).append(')');
            args.addAll(values);
        }
        return this;
    }

    /**
     * @param timeColumn the column rows are ordered by, newest first (ties broken by id)
     * @param position   where a row stands in that order, for the next page's cursor
     */
    <T> Page<T> page(Connection c, String timeColumn, String cursor, int limit, RowReader<T> reader,
                     Function<T, KeysetCursor> position) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT ").append(columns).append(" FROM ").append(table).append(where);
        List<Object> bound = new ArrayList<>(args);
        if (cursor != null) {
            KeysetCursor after = KeysetCursor.decode(cursor);
            sql.append(KeysetCursor.after(timeColumn));
            bound.add(after.at());
            bound.add(after.at());
            bound.add(after.id());
        }
        sql.append(" ORDER BY ").append(timeColumn).append(" DESC, id DESC LIMIT ?");
        bound.add(limit + 1);
        List<T> rows = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < bound.size(); i++) {
                s.setObject(i + 1, bound.get(i));
            }
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    rows.add(reader.read(r));
                }
            }
        }
        if (rows.size() <= limit) {
            return new Page<>(rows, null);
        }
        List<T> page = List.copyOf(rows.subList(0, limit));
        return new Page<>(page, position.apply(page.get(page.size() - 1)).encode());
    }
}
