// template: a Handlebars file from the role's templates/ rendered with the host's variables
// (strict: an undefined variable fails the task before anything is written).
import { controllerFileOperation } from './controller-file.js';

export const template = controllerFileOperation({
  name: 'template',
  summary: 'Render a Handlebars template (role templates/) to a file on the host',
  srcDescription: "Template under the role's templates/ directory, e.g. main.cf.hbs",
  content: (args, ctx) => Buffer.from(ctx.renderTemplate(ctx.controllerPath('templates', args.src))),
});
