package dev.quant4j.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * The agent's settings. They come from the agent argument ({@code -javaagent:quant4j-agent.jar=cache=budget:256m,check=true})
 * and from system properties ({@code -Dquant4j.agent.cache=soft}); for one setting the agent argument wins, the system
 * property applies when the argument does not name it, and the default applies otherwise.
 *
 * <p>A bad value never stops the JVM (premain must not take the application down): it is reported in
 * {@link #problems()} and the default is used for that setting.
 */
public final class AgentOptions {
    /** How long dequantized arrays live. */
    public enum CachePolicy {
        /** Dequantize on every read; nothing is kept. */
        NONE,
        /** Keep through soft references; the GC reclaims them under memory pressure. */
        SOFT,
        /** Keep up to a byte budget, evicting the least recently used array. */
        BUDGET
    }

    public static final String PROPERTY_PREFIX = "quant4j.agent.";
    /** Default budget cap: large enough for the hot layers of a mid-size model, small next to the packed weights. */
    static final long AUTO_BUDGET_CAP = 256L << 20;

    private final CachePolicy cache;
    private final long budgetBytes;
    private final boolean budgetAuto;
    private final boolean check;
    private final AgentLog.Level log;
    private final List<String> excludes;
    private final List<String> problems;

    private AgentOptions(
            CachePolicy cache,
            long budgetBytes,
            boolean budgetAuto,
            boolean check,
            AgentLog.Level log,
            List<String> excludes,
            List<String> problems) {
        this.cache = cache;
        this.budgetBytes = budgetBytes;
        this.budgetAuto = budgetAuto;
        this.check = check;
        this.log = log;
        this.excludes = List.copyOf(excludes);
        this.problems = List.copyOf(problems);
    }

    /** The defaults: {@code cache=budget:auto,check=false,log=warn}. */
    public static AgentOptions defaults() {
        return parse(null, new Properties(), Runtime.getRuntime().maxMemory());
    }

    /**
     * Reads the options.
     *
     * @param agentArgs the text after {@code =} in {@code -javaagent:jar=...}, or null
     * @param props     system properties ({@code quant4j.agent.*})
     * @param maxHeap   the JVM's maximum heap, for {@code budget:auto}
     */
    public static AgentOptions parse(String agentArgs, Properties props, long maxHeap) {
        List<String> problems = new ArrayList<>();
        String cacheText = null;
        String checkText = null;
        String logText = null;
        List<String> excludes = new ArrayList<>();
        boolean excludeFromArgs = false;
        if (agentArgs != null && !agentArgs.isBlank()) {
            for (String part : agentArgs.split(",")) {
                String p = part.strip();
                if (p.isEmpty()) {
                    continue;
                }
                int eq = p.indexOf('=');
                if (eq <= 0) {
                    problems.add("agent option '" + p
                            + "' has no value: write key=value (keys: cache, check, log, exclude)");
                    continue;
                }
                String key = p.substring(0, eq).strip().toLowerCase(Locale.ROOT);
                String value = p.substring(eq + 1).strip();
                switch (key) {
                    case "cache" -> cacheText = value;
                    case "check" -> checkText = value;
                    case "log" -> logText = value;
                    case "exclude" -> {
                        excludes.add(value);
                        excludeFromArgs = true;
                    }
                    default ->
                        problems.add("unknown agent option '" + key + "' in '" + p
                                + "': the options are cache, check, log, exclude");
                }
            }
        }
        if (cacheText == null) {
            cacheText = props.getProperty(PROPERTY_PREFIX + "cache");
        }
        if (checkText == null) {
            checkText = props.getProperty(PROPERTY_PREFIX + "check");
        }
        if (logText == null) {
            logText = props.getProperty(PROPERTY_PREFIX + "log");
        }
        if (!excludeFromArgs) {
            String ex = props.getProperty(PROPERTY_PREFIX + "exclude");
            if (ex != null) {
                for (String e : ex.split(",")) {
                    if (!e.isBlank()) {
                        excludes.add(e.strip());
                    }
                }
            }
        }

        CachePolicy cache = CachePolicy.BUDGET;
        long budget = autoBudget(maxHeap);
        boolean auto = true;
        if (cacheText != null) {
            String c = cacheText.strip().toLowerCase(Locale.ROOT);
            if (c.equals("none")) {
                cache = CachePolicy.NONE;
                budget = 0;
                auto = false;
            } else if (c.equals("soft")) {
                cache = CachePolicy.SOFT;
                budget = -1;
                auto = false;
            } else if (c.equals("budget") || c.equals("budget:auto")) {
                // defaults already set
            } else if (c.startsWith("budget:")) {
                try {
                    budget = parseSize(c.substring("budget:".length()));
                    auto = false;
                } catch (IllegalArgumentException e) {
                    problems.add("cache option '" + cacheText + "': " + e.getMessage() + "; using budget:auto");
                }
            } else {
                problems.add("cache option '" + cacheText + "' is not one of none, soft, budget, budget:SIZE "
                        + "(e.g. budget:256m); using budget:auto");
            }
        }
        boolean check = false;
        if (checkText != null) {
            String c = checkText.strip().toLowerCase(Locale.ROOT);
            if (c.equals("true") || c.equals("on") || c.equals("yes")) {
                check = true;
            } else if (!(c.equals("false") || c.equals("off") || c.equals("no"))) {
                problems.add("check option '" + checkText + "' is not true or false; using false");
            }
        }
        AgentLog.Level log = AgentLog.Level.WARN;
        if (logText != null) {
            try {
                log = AgentLog.Level.parse(logText);
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage() + "; using warn");
            }
        }
        return new AgentOptions(cache, budget, auto, check, log, excludes, problems);
    }

    /** The default budget: an eighth of the maximum heap, at most 256 MiB. */
    static long autoBudget(long maxHeap) {
        if (maxHeap <= 0 || maxHeap == Long.MAX_VALUE) {
            return AUTO_BUDGET_CAP;
        }
        return Math.min(AUTO_BUDGET_CAP, maxHeap / 8);
    }

    /** Parses {@code 1048576}, {@code 64k}, {@code 256m}, {@code 2g} (binary units, case-insensitive). */
    static long parseSize(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.endsWith("b")) {
            t = t.substring(0, t.length() - 1);
        }
        long unit = 1;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'k' -> unit = 1L << 10;
                case 'm' -> unit = 1L << 20;
                case 'g' -> unit = 1L << 30;
                default -> unit = 1;
            }
        }
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        long n;
        try {
            n = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "size '" + text + "' is not a number of bytes with an optional k, m or g " + "suffix (e.g. 256m)");
        }
        if (n < 0 || n > Long.MAX_VALUE / unit) {
            throw new IllegalArgumentException("size '" + text + "' is out of range");
        }
        return n * unit;
    }

    static String formatSize(long bytes) {
        if (bytes > 0 && bytes % (1L << 30) == 0) {
            return (bytes >> 30) + "g";
        }
        if (bytes > 0 && bytes % (1L << 20) == 0) {
            return (bytes >> 20) + "m";
        }
        if (bytes > 0 && bytes % (1L << 10) == 0) {
            return (bytes >> 10) + "k";
        }
        return Long.toString(bytes);
    }

    public CachePolicy cache() {
        return cache;
    }

    /** The budget in bytes for {@link CachePolicy#BUDGET}; 0 for none, -1 (unbounded) for soft. */
    public long budgetBytes() {
        return budgetBytes;
    }

    /** Check-on-evict mode: report arrays that were modified by the application when the store lets go of them. */
    public boolean check() {
        return check;
    }

    public AgentLog.Level log() {
        return log;
    }

    /** Class-name prefixes (binary names, dots) that the agent does not look at. */
    public List<String> excludes() {
        return excludes;
    }

    /** Bad option values, each with what was used instead. */
    public List<String> problems() {
        return problems;
    }

    /** The cache setting in the form the option takes, e.g. {@code budget:256m}. */
    public String cacheText() {
        return switch (cache) {
            case NONE -> "none";
            case SOFT -> "soft";
            case BUDGET -> "budget:" + formatSize(budgetBytes) + (budgetAuto ? " (auto)" : "");
        };
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("cache=")
                .append(cacheText())
                .append(",check=")
                .append(check)
                .append(",log=")
                .append(log.name().toLowerCase(Locale.ROOT));
        for (String e : excludes) {
            sb.append(",exclude=").append(e);
        }
        return sb.toString();
    }
}
