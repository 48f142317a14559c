package io.github.imsg4j.spring.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.ByteArrayResource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps docs/guide.md honest: its configuration tables list exactly the properties {@link ImsgProperties}
 * has, its full YAML example binds without a single unknown key, and its quick-start YAML is the one the
 * quick-start test runs.
 */
class ImsgPropertiesDocTest {

	static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

	static String guide() throws Exception {
		return Files.readString(ROOT.resolve("docs/guide.md"));
	}

	/** Every property, as a user writes it, with {@code <name>} for map keys. */
	static Set<String> actualProperties() {
		return new TreeSet<>(UnknownImsgPropertyFailureAnalyzer.known());
	}

	static String yamlBlockAfter(String text, String marker) {
		int at = text.indexOf(marker);
		assertThat(at).as("marker '%s' in the guide", marker).isNotNegative();
		Matcher m = Pattern.compile("```yaml\\n(.*?)```", Pattern.DOTALL).matcher(text);
		assertThat(m.find(at)).isTrue();
		return m.group(1);
	}

	@Test
	void theTablesListEveryPropertyAndNothingElse() throws Exception {
		Set<String> documented = new TreeSet<>();
		Matcher m = Pattern.compile("^\\| `(imsg\\.[^`]+)` \\|", Pattern.MULTILINE).matcher(guide());
		while (m.find()) {
			documented.add(m.group(1));
		}
		assertThat(documented).isEqualTo(actualProperties());
	}

	@Test
	void theFullExampleBindsWithoutUnknownKeys() throws Exception {
		String yaml = yamlBlockAfter(guide(), "A full example");
		List<PropertySource<?>> sources = new YamlPropertySourceLoader().load("guide",
				new ByteArrayResource(yaml.getBytes()));
		StandardEnvironment env = new StandardEnvironment();
		sources.forEach((s) -> env.getPropertySources().addFirst(s));
		Binder binder = new Binder(ConfigurationPropertySources.get(env));
		BindHandler strict = new NoUnboundElementsBindHandler(BindHandler.DEFAULT);
		ImsgProperties bound = binder.bind("imsg", Bindable.of(ImsgProperties.class), strict).get();
		assertThat(bound.getEndpoints().get("control").getSocketMode()).isEqualTo("0660");
		assertThat(bound.getClients().get("parent").getReconnect().getMaxBackoff()).hasSeconds(5);
	}

	@Test
	void theQuickStartYamlIsTheOneTheQuickStartTestRuns() throws Exception {
		String inGuide = yamlBlockAfter(guide(), "Declare an endpoint");
		String inTest = Files.readString(ROOT.resolve("starter/src/test/resources/application.yml"));
		String between = inTest.substring(inTest.indexOf("imsg:"), inTest.indexOf("# end:yaml"));
		assertThat(inGuide).isEqualTo(between);
	}

	@Test
	void theDemosApplicationYmlAndItsCopyInTheGuideBindWithoutUnknownImsgKeys() throws Exception {
		for (String yaml : List.of(Files.readString(ROOT.resolve("application.yml")),
				yamlBlockAfter(guide(), "## The demo daemon"))) {
			ImsgProperties bound = bindStrictly(yaml);
			assertThat(bound.getEndpoints()).containsKey("opener");
		}
	}

	@Test
	void thePrivilegeSeparationExamplesBindWithoutUnknownKeys() throws Exception {
		String section = guide().substring(guide().indexOf("## Privilege separation"));
		ImsgProperties parent = bindStrictly(yamlBlockAfter(section, "A parent that runs a helper"));
		assertThat(parent.getProcesses().get("worker").getArguments()).contains("--clear-groups");
		ImsgProperties child = bindStrictly(yamlBlockAfter(section, "when it is a Spring application too"));
		assertThat(child.getClients().get("parent").getInheritedFd()).isEqualTo(3);
		ImsgProperties activated = bindStrictly(yamlBlockAfter(section, "FileDescriptorName=control"));
		assertThat(activated.getEndpoints().get("control").isActivated()).isTrue();
		// and each passes the same checks as at start-up
		parent.afterPropertiesSet();
		child.afterPropertiesSet();
		activated.afterPropertiesSet();
	}

	static ImsgProperties bindStrictly(String yaml) throws Exception {
		List<PropertySource<?>> sources = new YamlPropertySourceLoader().load("yaml",
				new ByteArrayResource(yaml.getBytes()));
		StandardEnvironment env = new StandardEnvironment();
		sources.forEach((s) -> env.getPropertySources().addFirst(s));
		return new Binder(ConfigurationPropertySources.get(env))
			.bind("imsg", Bindable.of(ImsgProperties.class), new NoUnboundElementsBindHandler(BindHandler.DEFAULT))
			.get();
	}
}
