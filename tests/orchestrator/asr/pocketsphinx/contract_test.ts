import { createPocketsphinxEngine } from "../../../../orchestrator/asr/pocketsphinx/mod.ts";
import { asrEngineContract } from "../contract_suite.ts";

asrEngineContract("pocketsphinx-en-us", () => createPocketsphinxEngine());
