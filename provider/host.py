"""The provider process: qcap's components behind the Pulumi ResourceProvider gRPC interface.

`component_provider_host` would serve them as they are, but its Construct maps inputs lossily
(an integer input of 2.5 becomes 2) and reports every exception from a component with a Python
traceback. QcapProvider keeps the SDK's schema inference and state mapping and changes only
those two steps: inputs reach the component as sent, and a bad input (InputPropertiesError)
fails Construct with its message and property paths, never a traceback.
"""

import sys
import tomllib
from pathlib import Path
from typing import Any, Optional

import pulumi
from pulumi.errors import InputPropertiesError
from pulumi.provider import main
from pulumi.provider.experimental.analyzer import PropertyDefinition, PropertyType
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.provider import ConstructResult
from pulumi.provider.server import ComponentInitError

from provider.blocks_consumers import FargateConsumer, ScheduledConsumer
from provider.blocks_queues import CloudflareQueue, Dashboard, QueueAlarms, QueueWithDlq, RedisCache
from provider.workload import QueueWorkload

PACKAGE_NAME = "qcap"
COMPONENTS: list[type[pulumi.ComponentResource]] = [
    QueueWorkload, QueueWithDlq, QueueAlarms, FargateConsumer, ScheduledConsumer, CloudflareQueue, RedisCache,
    Dashboard,
]
PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def package_version() -> str:
    """The project's version (pyproject.toml), which the generated SDKs carry."""
    try:
        return str(tomllib.loads(PYPROJECT.read_text())["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "0.0.0"


class QcapProvider(ComponentProvider):
    """The SDK's component provider with inputs passed as sent and input errors reported as such."""

    def __init__(self) -> None:
        super().__init__(COMPONENTS, PACKAGE_NAME, version=package_version())

    def construct(self, name: str, resource_type: str, inputs: pulumi.Inputs,
                  options: Optional[pulumi.ResourceOptions] = None) -> ConstructResult:
        self.validate_resource_type(self._name, resource_type)
        component_name = resource_type.rsplit(":", maxsplit=1)[-1]
        definition = self._component_defs[component_name]
        args = self.python_inputs(inputs, definition.inputs, definition.inputs_mapping)
        try:
            instance = self._components[component_name](name, args, options)  # type: ignore[call-arg]
        except InputPropertiesError:
            raise
        except Exception as exc:  # noqa: BLE001 - the SDK's own wrapping: a bug keeps its traceback
            raise ComponentInitError(exc) from exc
        return ConstructResult(instance.urn, self.get_state(instance, definition))

    def python_inputs(self, inputs: Any, properties: dict[str, PropertyDefinition],
                      mapping: dict[str, str]) -> dict[str, Any]:
        """Schema names to Python names, recursively; values are kept as sent, absent ones (None) left out.

        A key the schema does not know is kept under its own name, so the component's validation
        names it; a whole number sent for an integer (the wire carries floats) becomes an int.
        """
        if not isinstance(inputs, dict):
            return inputs
        out: dict[str, Any] = {}
        for key, value in inputs.items():
            if value is None:
                continue
            prop = properties.get(key)
            out[mapping.get(key, key)] = value if prop is None else self.python_value(value, prop)
        return out

    def python_value(self, value: Any, prop: PropertyDefinition) -> Any:
        if prop.ref:
            type_def = self.get_type_definition(prop)
            if type_def is not None and not type_def.enum and isinstance(value, dict):
                return self.python_inputs(value, type_def.properties, type_def.properties_mapping)
            return value
        if isinstance(value, list) and prop.items is not None:
            return [self.python_value(v, prop.items) for v in value]
        if isinstance(value, dict) and prop.additional_properties is not None:
            return {k: self.python_value(v, prop.additional_properties) for k, v in value.items()}
        if prop.type is PropertyType.INTEGER and isinstance(value, float) and value.is_integer():
            return int(value)
        return value


def serve(args: list[str]) -> None:
    """Start the gRPC server on 127.0.0.1 and print its port, as the Pulumi CLI expects of a plugin."""
    main(QcapProvider(), args)


if __name__ == "__main__":
    serve(sys.argv[1:])
