package io.claudemirror.pii;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Edge cases of the shipped detectors and of the scanner's overlap rules; the corpus covers the common ones. */
class DetectorsTest {
    private final PiiScanner scanner = PiiScanner.defaults();

    private List<String> found(String text) {
        return scanner.scan(text).stream().map(f -> f.type() + ":" + text.substring(f.start(), f.end())).toList();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "手机13800138000号码|cn_mobile:13800138000",
        "13800138000|cn_mobile:13800138000",
        "(+86) 138 0013 8000|cn_mobile:(+86) 138 0013 8000",
        "+86-138-0013-8000|cn_mobile:+86-138-0013-8000",
        "a 0086 13800138000|cn_mobile:0086 13800138000",
        "id 110101199003077715.|cn_resident_id:110101199003077715",
        "card:6222021234567890128;|bank_card:6222021234567890128",
        "mail a.b-c@sub.example.co.uk.|email:a.b-c@sub.example.co.uk",
        "13800138000@qq.com|email:13800138000@qq.com",
        "ip=8.8.4.40|ip:8.8.4.40",
        "fe80::1ff:fe23:4567:890a%eth0|ip:fe80::1ff:fe23:4567:890a",
        "FE80::1FF:FE23:4567:890A|ip:FE80::1FF:FE23:4567:890A",
        "at 2001:db8::1:|ip:2001:db8::1",
    })
    void reports(String text, String expected) {
        assertThat(found(text)).containsExactly(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "x13800138000",
        "13800138000x",
        "1380013800012",
        "sk-learn-something-long-enough",
        "sk-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef",
        "Fe80::1ff:fe23:4567:890A",
        "1:2:3:4:5:6:7",
        "1::2::3",
        "a@b",
        "@foo.com",
        ".@foo.com",
        "foo.@bar.com",
        "AKIAIOSFODNN7EXAMPL",
        "AKIAIOSFODNN7EXAMPLEX",
        "-----BEGIN PRIVATE KEYS-----",
    })
    void ignores(String text) {
        assertThat(found(text)).isEmpty();
    }

    @Test
    void eachShippedDetectorAloneFindsWhatTheCombinedPassFinds() throws Exception {
        // Wrapped, the shipped detectors look like plug-ins: the scanner runs each one alone.
        PiiScanner.Builder alone = PiiScanner.builder();
        for (PiiDetector d : scanner.detectors()) {
            alone.remove(d.type());
        }
        for (PiiDetector d : scanner.detectors()) {
            alone.add(new PiiDetector() {
                @Override
                public String type() {
                    return d.type();
                }

                @Override
                public String label() {
                    return d.label();
                }

                @Override
                public void find(CharSequence text, PiiMatches matches) {
                    d.find(text, matches);
                }
            });
        }
        PiiScanner separate = alone.build();
        for (PiiCorpusTest.Sample s : PiiCorpusTest.read("corpus.txt")) {
            assertThat(separate.scan(s.text())).as(s.text()).isEqualTo(scanner.scan(s.text()));
        }
        for (PiiCorpusTest.Sample s : PiiCorpusTest.read("limits.txt")) {
            assertThat(separate.scan(s.text())).as(s.text()).isEqualTo(scanner.scan(s.text()));
        }
    }

    @Test
    void aDateInTheFutureIsNotABirthDate() {
        int next = java.time.LocalDate.now().getYear() + 1;
        String s17 = "110101" + next + "0101123";
        String id = s17 + ResidentIdCheck.checkChar(s17);
        assertThat(found("id " + id)).isEmpty();
        String s17past = "110101" + 1990 + "0101123";
        assertThat(found("id " + s17past + ResidentIdCheck.checkChar(s17past))).hasSize(1);
    }

    @Test
    void theLongerOfTwoOverlappingMatchesWins() {
        String key = "-----BEGIN PRIVATE KEY-----\nuser@example.com 13800138000\n-----END PRIVATE KEY-----";
        assertThat(found("k " + key)).containsExactly("secret:" + key);
    }

    @Test
    void aMatchNeverSplitsASurrogatePair() {
        PiiScanner s = PiiScanner.builder().add(new FixedDetector("emoji_tail", "EMOJI", 1, 2)).build();
        List<PiiFinding> f = s.scan("a\uD83D\uDE00b");
        // The detector claimed only the low surrogate; the scanner widens the span to the whole character.
        assertThat(f).containsExactly(new PiiFinding("emoji_tail", "EMOJI", 1, 3));
    }

    @Test
    void aHostAddsAndRemovesDetectors() {
        PiiDetector employee = new PiiDetector() {
            @Override
            public String type() {
                return "employee_id";
            }

            @Override
            public String label() {
                return "EMPLOYEE";
            }

            @Override
            public void find(CharSequence text, PiiMatches matches) {
                String s = text.toString();
                for (int i = s.indexOf("EMP-"); i >= 0; i = s.indexOf("EMP-", i + 1)) {
                    matches.add(i, Math.min(s.length(), i + 10));
                }
            }
        };
        PiiScanner s = PiiScanner.builder().add(employee).remove("ip").build();
        assertThat(s.detectors()).extracting(PiiDetector::type).contains("employee_id").doesNotContain("ip");
        assertThat(s.scan("owner EMP-004711 at 10.1.2.3")).extracting(PiiFinding::type).containsExactly("employee_id");
    }

    @Test
    void detectorNamesAreValidated() {
        assertThatThrownBy(() -> PiiScanner.builder().add(new FixedDetector("Bad-Type", "X", 0, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("type");
        assertThatThrownBy(() -> PiiScanner.builder().add(new FixedDetector("ok", "lower", 0, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label");
        assertThatThrownBy(() -> PiiScanner.builder().add(new FixedDetector("email", "MAIL", 0, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already");
        assertThatThrownBy(() -> PiiScanner.builder().remove("nope")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aDetectorReportingOutsideTheTextFailsTheScan() {
        PiiScanner s = PiiScanner.builder().add(new FixedDetector("broken", "BROKEN", 0, 99)).build();
        assertThatThrownBy(() -> s.scan("short")).isInstanceOf(IllegalArgumentException.class);
    }

    /** Reports one fixed span whenever the text is long enough. */
    record FixedDetector(String type, String label, int start, int end) implements PiiDetector {
        @Override
        public void find(CharSequence text, PiiMatches matches) {
            if (text.length() >= end || end == 99) {
                matches.add(start, end);
            }
        }
    }

    /** GB 11643 check character, to build IDs with dates relative to today. */
    static final class ResidentIdCheck {
        static char checkChar(String s17) {
            int[] w = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
            int sum = 0;
            for (int i = 0; i < 17; i++) {
                sum += (s17.charAt(i) - '0') * w[i];
            }
            return "10X98765432".charAt(sum % 11);
        }
    }
}
