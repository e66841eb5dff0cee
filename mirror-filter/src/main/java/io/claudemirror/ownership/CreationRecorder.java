package io.claudemirror.ownership;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.claudemirror.exchange.Exchange;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records the creating tenant as the owner of the id in a 2xx answer to {@code POST /v1/files} or
 * {@code POST /v1/messages/batches}. The body is held back and released only after the record is durable, so a
 * client can never use the new id before the mirror knows whose it is.
 */
final class CreationRecorder extends HeldBody {
    private static final Logger LOG = LoggerFactory.getLogger(CreationRecorder.class);
    private static final JsonFactory JSON = new JsonFactory();
    private static final int LIMIT = 1024 * 1024;

    private final OwnershipIndex index;
    private final String kind;
    private final String tenant;
    private final Exchange exchange;
    private final Clock clock;

    CreationRecorder(OwnershipIndex index, String kind, String tenant, Exchange exchange, Clock clock) {
        super(LIMIT);
        this.index = index;
        this.kind = kind;
        this.tenant = tenant;
        this.exchange = exchange;
        this.clock = clock;
    }

    @Override
    byte[] rewrite(byte[] body, int length) {
        String id = topLevelId(body, length);
        if (id == null) {
            LOG.warn("{} created {} answer has no id; nothing recorded", exchange.requestId(), kind);
            return java.util.Arrays.copyOf(body, length);
        }
        exchange.resourceId(id);
        try {
            index.record(tenant, kind, id, Retention.expiresAt(kind, clock.instant()));
        } catch (RuntimeException e) {
            // The upstream created it, but without a record nobody can use it (fail closed). Ids are not secrets:
            // the line tells the operator what to assign with OwnershipTool.
            LOG.error("{} could not record {} {} for tenant {}; assign it with OwnershipTool", exchange.requestId(),
                    kind, id, tenant, e);
        }
        return java.util.Arrays.copyOf(body, length);
    }

    @Override
    byte[] overflow() {
        LOG.error("{} created {} answer over {} bytes; nothing recorded", exchange.requestId(), kind, LIMIT);
        return ("{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"the mirror could not read the "
                + "upstream's answer\"}}").getBytes(StandardCharsets.UTF_8);
    }

    static String topLevelId(byte[] body, int length) {
        try (JsonParser p = JSON.createParser(body, 0, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if ("id".equals(name) && v == JsonToken.VALUE_STRING) {
                    return p.getText();
                }
                p.skipChildren();
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }
}
