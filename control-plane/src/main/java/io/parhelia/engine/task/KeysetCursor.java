package io.parhelia.engine.task;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * An opaque page cursor: the (time, id) of the last row on a page, so that pages of a newest-first
 * list stay stable while rows are added.
 */
record KeysetCursor(long at, String id) {

    String encode() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString((at + ":" + id).getBytes(StandardCharsets.UTF_8));
    }

    static KeysetCursor decode(String cursor) {
        try {
            String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            int colon = raw.indexOf(':');
            return new KeysetCursor(Long.parseLong(raw.substring(0, colon)), raw.substring(colon + 1));
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw EngineException.invalid("cursor",
                    "cursor is not one this server issued; pass the next_cursor of the previous page, or omit it for the first page");
        }
    }

    /** The SQL condition for rows after this cursor in (timeColumn DESC, id DESC) order; binds at, at, id. */
    static String after(String timeColumn) {
        return " AND (" + timeColumn + " < ? OR (" + timeColumn + " = ? AND id < ?))";
    }
}
