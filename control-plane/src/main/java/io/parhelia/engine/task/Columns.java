package io.parhelia.engine.task;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/**
 * Reads a row's columns one after another, in the order they were selected. Java evaluates a call's arguments
 * from left to right, so a constructor call with one read per argument reads the columns in the order written.
 */
final class Columns {

    private final ResultSet row;
    private int next = 1;

    Columns(ResultSet row) {
        this.row = row;
    }

    String string() throws SQLException {
        return row.getString(next++);
    }

    int integer() throws SQLException {
        return row.getInt(next++);
    }

    long longInteger() throws SQLException {
        return row.getLong(next++);
    }

    double decimal() throws SQLException {
        return row.getDouble(next++);
    }

    /** A 0/1 column. */
    boolean bool() throws SQLException {
        return integer() == 1;
    }

    Integer nullableInteger() throws SQLException {
        int value = integer();
        return row.wasNull() ? null : value;
    }

    Long nullableLong() throws SQLException {
        long value = longInteger();
        return row.wasNull() ? null : value;
    }

    Double nullableDecimal() throws SQLException {
        double value = decimal();
        return row.wasNull() ? null : value;
    }

    Boolean nullableBool() throws SQLException {
        Integer value = nullableInteger();
        return value == null ? null : value == 1;
    }

    /** Epoch milliseconds. */
    Instant instant() throws SQLException {
        Long millis = nullableLong();
        return millis == null ? null : Instant.ofEpochMilli(millis);
    }
}
